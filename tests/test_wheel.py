"""forkpatch wheel, on Django 4.2.30 with small series made here from real commits.

Series: ``ok`` (0001 edits django/db/models/query.py, 0002 adds a test file),
``conflict`` (a patch that does not apply to 4.2.30) and ``broken`` (a patch
that makes pyproject.toml unreadable, so the build itself fails).
"""

import base64
import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import commit, error_of, run_git

from forkpatch import cli, wheel
from forkpatch.errors import ForkpatchError
from forkpatch.paths import ROOT
from forkpatch.series import series_for
from forkpatch.tree import checkout, export

NAME = "django-4.2.30+aiterprefetch.2-py3-none-any.whl"
EPOCH = 1795521600  # 2026-11-24T12:00:00Z, the patches' author date.


def fingerprint(path):
    """Every file's path and bytes under path (None if it does not exist)."""
    path = Path(path)
    if not path.exists():
        return None
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        str(p.relative_to(path)): p.read_bytes() if p.is_file() else None
        for p in sorted(path.rglob("*"))
    }


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Three patches/ folders, each with a 4.2.x series exported from a real tree."""
    base = tmp_path_factory.mktemp("patches")
    empty = base / "empty"
    (empty / "4.2.x").mkdir(parents=True)
    (empty / "4.2.x" / "series").write_text("")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORKPATCH_PATCHES", str(empty))
    tree = checkout("4.2.30", tmp_path_factory.mktemp("t") / "t", log=lambda m: None)
    root = run_git(tree, "rev-list", "--max-parents=0", "HEAD").strip()
    made = {"empty": empty}

    def series(name, *commits, keep=None):
        run_git(tree, "checkout", "-q", "-B", name, root)
        for message, edits in commits:
            commit(tree, message, edits)
        out = base / name / "4.2.x"
        export(tree, out, log=lambda m: None)
        if keep:  # Only some of the exported patches make the series.
            names = (out / "series").read_text().split()
            (out / "series").write_text("".join(f"{names[i]}\n" for i in keep))
        made[name] = base / name

    query = "django/db/models/query.py"
    mark = (
        "Fixed #1 -- Documented the iterable classes.",
        {
            query: lambda t: t.replace(
                "class BaseIterable:", "class BaseIterable:  # Iterates a QuerySet.", 1
            )
        },
    )
    series(
        "ok",
        mark,
        (
            "Refs #1 -- Added a test.",
            {"tests/prefetch_related/test_kit.py": lambda t: "# A test.\n"},
        ),
    )
    series(
        "conflict",
        mark,
        (
            "Refs #1 -- Reworded the comment.",
            {query: lambda t: t.replace("# Iterates a QuerySet.", "# Iterates.", 1)},
        ),
        keep=[1],
    )
    series(
        "broken",
        ("Refs #1 -- Broke pyproject.toml.", {"pyproject.toml": lambda t: t + "[[[\n"}),
    )
    yield made
    mp.undo()


@pytest.fixture
def use(roots, monkeypatch, tmp_path):
    """use(name): point FORKPATCH_PATCHES at a series; temp folders go to tmp_path."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def use(name):
        monkeypatch.setenv("FORKPATCH_PATCHES", str(roots[name]))
        return roots[name]

    use.scratch = scratch
    return use


def forkpatch(capsys, *args):
    code = cli.main(["wheel", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# The local version label.


def make_series(tmp_path, patches=2, local=None):
    folder = tmp_path / "4.2.x"
    folder.mkdir()
    names = [f"{n:04}-x.patch" for n in range(1, patches + 1)]
    for name in names:
        (folder / name).write_text("x\n")
    (folder / "series").write_text("".join(f"{n}\n" for n in names))
    if local is not None:
        (folder / "local-version").write_text(local)
    return series_for("4.2.30", root=tmp_path)


def test_label_counts_the_patches(tmp_path):
    assert wheel.local_label(make_series(tmp_path, patches=3)) == "aiterprefetch.3"


def test_label_from_the_series_folder(tmp_path):
    series = make_series(tmp_path, local="aiterprefetch.7\n")
    assert wheel.local_label(series) == "aiterprefetch.7"


@pytest.mark.parametrize("text", ["Aiter", "aiter-1", "aiter.07", "", "a..b", "a+b"])
def test_label_that_is_not_pep_440(tmp_path, text):
    series = make_series(tmp_path, local=text)
    with pytest.raises(ForkpatchError) as info:
        wheel.local_label(series)
    assert str(info.value) == (
        f"{series.path / 'local-version'}: {text!r} is not a PEP 440 local version "
        "label (lower-case letters and digits in dot-separated parts, no leading "
        "zeros: e.g. aiterprefetch.3)."
    )


def test_stamp_version_needs_get_version(tmp_path):
    (tmp_path / "django" / "utils").mkdir(parents=True)
    path = tmp_path / "django" / "utils" / "version.py"
    path.write_text("VERSION = 1\n")
    with pytest.raises(ForkpatchError) as info:
        wheel.stamp_version(tmp_path, "4.2.30", None, "aiterprefetch.1", "0" * 12)
    assert str(info.value) == (
        f"cannot set the local version: {path} has no get_version() and "
        "get_complete_version()."
    )
    assert path.read_text() == "VERSION = 1\n"


# Building.


def record_is_valid(whl):
    """Every file's sha256 and size match RECORD (the rewrite kept the contents)."""
    with zipfile.ZipFile(whl) as z:
        record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(z.read(record).decode())))
        assert sorted(r[0] for r in rows) == sorted(z.namelist())
        for name, digest, size in rows:
            if name == record:
                continue
            data = z.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
            assert digest == "sha256=" + expected.rstrip(b"=").decode(), name
            assert int(size) == len(data), name
    return True


@pytest.fixture(scope="module")
def built(roots, tmp_path_factory):
    """The ok series' wheel, built once with the command line."""
    mp = pytest.MonkeyPatch()
    mp.setenv("FORKPATCH_PATCHES", str(roots["ok"]))
    out = tmp_path_factory.mktemp("wheels")
    assert cli.main(["wheel", "4.2.30", "-o", str(out)]) == 0
    mp.undo()
    return out / NAME


def test_the_wheel_has_the_local_version_and_the_patches(built):
    with zipfile.ZipFile(built) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        metadata = z.read("django-4.2.30+aiterprefetch.2.dist-info/METADATA").decode()
        version_py = z.read("django/utils/version.py").decode()
        query = z.read("django/db/models/query.py").decode()
    assert "Version: 4.2.30+aiterprefetch.2\n" in metadata
    assert "class BaseIterable:  # Iterates a QuerySet." in query
    assert 'FORKPATCH_SERIES = "4.2.x"' in version_py
    assert 'FORKPATCH_LOCAL_VERSION = "aiterprefetch.2"' in version_py
    assert re.search(r'FORKPATCH_DIGEST = "[0-9a-f]{12}"', version_py)
    assert not any(n.startswith("tests/") for n in names)
    # Fixed order, dates and modes.
    dist_info = [n for n in names if ".dist-info/" in n]
    assert names == sorted(set(names) - set(dist_info)) + sorted(
        dist_info, key=lambda n: (n.endswith("/RECORD"), n)
    )
    assert {i.date_time for i in infos} == {(2026, 11, 24, 12, 0, 0)}
    modes = {i.filename: i.external_attr >> 16 for i in infos}
    assert modes.pop("django/conf/project_template/manage.py-tpl") == 0o100755
    assert set(modes.values()) == {0o100644}
    assert record_is_valid(built)


def test_building_again_gives_the_same_bytes(built, use, tmp_path, capsys):
    """A second build from scratch into a folder holding the first: same bytes."""
    use("ok")
    out = Path(shutil.copytree(built.parent, tmp_path / "again"))
    code, stdout, err = forkpatch(capsys, "4.2.30", "-o", out)
    assert code == 0, err
    assert stdout == f"{out / NAME}\n"
    assert err.splitlines()[-3:] == [
        f"forkpatch: building Django 4.2.30+aiterprefetch.2 (SOURCE_DATE_EPOCH={EPOCH})",
        f"forkpatch: {out / NAME} already exists with the same contents; left as is",
        f"forkpatch: {NAME}: Django 4.2.30+aiterprefetch.2, patches/4.2.x (2 patches, "
        f"digest {series_for('4.2.30').digest()}), sha256 {sha256(built)}",
    ]
    assert fingerprint(out) == fingerprint(built.parent)
    assert not any(use.scratch.iterdir()), "a temporary folder was left behind"


def test_installed_wheel_reports_the_local_version(built, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", built],
        check=True,
    )
    script = (
        "import importlib.metadata, django, django.utils.version as v; "
        "print(django.__version__, django.get_version(), "
        "importlib.metadata.version('django'), v.get_version((1, 2, 0, 'final', 0)))"
    )
    proc = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.stdout.split() == ["4.2.30+aiterprefetch.2"] * 3 + ["1.2"], proc.stderr


# Errors: one line, and nothing written.


def test_not_a_version(use, tmp_path, capsys):
    use("ok")
    code, out, err = forkpatch(capsys, "4.2.x", "-o", tmp_path / "out")
    assert (code, out) == (2, "")
    assert error_of(err) == "'4.2.x' is not a Django version number (try 4.2.30)."
    assert not (tmp_path / "out").exists()


def test_no_series_for_the_version(use, tmp_path, capsys):
    use("ok")
    code, out, err = forkpatch(capsys, "3.2.25", "-o", tmp_path / "out")
    assert (code, out) == (2, "")
    assert error_of(err) == "no patch series covers Django 3.2.25 (series: 4.2.x)."
    assert not (tmp_path / "out").exists()


def test_an_empty_series(use, tmp_path, capsys):
    use("empty")
    code, _, err = forkpatch(capsys, "4.2.30", "-o", tmp_path / "out")
    assert code == 2
    assert error_of(err) == "patches/4.2.x has no patches; there is nothing to build."
    assert not (tmp_path / "out").exists()


def test_a_bad_local_version_file(use, roots, monkeypatch, tmp_path, capsys):
    folder = tmp_path / "patches"
    shutil.copytree(roots["ok"], folder)
    (folder / "4.2.x" / "local-version").write_text("Kit-1\n")
    monkeypatch.setenv("FORKPATCH_PATCHES", str(folder))
    before = fingerprint(folder)
    code, _, err = forkpatch(capsys, "4.2.30", "-o", tmp_path / "out")
    assert code == 2
    assert error_of(err).endswith(
        "'Kit-1' is not a PEP 440 local version label "
        "(lower-case letters and digits in dot-separated parts, no leading zeros: "
        "e.g. aiterprefetch.3)."
    )
    assert fingerprint(folder) == before
    assert not (tmp_path / "out").exists()


def test_output_is_a_file(use, tmp_path, capsys):
    use("ok")
    (tmp_path / "out").write_text("not a folder\n")
    code, _, err = forkpatch(capsys, "4.2.30", "-o", tmp_path / "out")
    assert code == 2
    assert error_of(err) == f"{tmp_path / 'out'} is not a folder; give -o a folder."
    assert (tmp_path / "out").read_text() == "not a folder\n"


def test_a_patch_that_does_not_apply(use, tmp_path, capsys):
    series = use("conflict")
    before = fingerprint(series)
    code, _, err = forkpatch(capsys, "4.2.30", "-o", tmp_path / "out")
    assert code == 2
    assert error_of(err) == (
        "0002-Refs-1-Reworded-the-comment.patch does not apply to Django 4.2.30: "
        "django/db/models/query.py."
    )
    assert not (tmp_path / "out").exists()
    assert fingerprint(series) == before
    assert not any(use.scratch.iterdir())


def test_a_build_that_fails(use, tmp_path, capsys):
    use("broken")
    code, _, err = forkpatch(capsys, "4.2.30", "-o", tmp_path / "out")
    assert code == 2
    assert re.fullmatch(
        r"building the wheel of Django 4\.2\.30 failed: ERROR Failed to parse "
        r".*pyproject\.toml: .*",
        error_of(err),
    )
    assert not (tmp_path / "out").exists()
    assert not any(use.scratch.iterdir())


def test_a_different_wheel_of_that_name_is_not_replaced(built, tmp_path):
    """The last step of a build: a wheel of that name with other bytes stays."""
    out = tmp_path / "out"
    out.mkdir()
    (out / NAME).write_bytes(b"an older build\n")
    with pytest.raises(ForkpatchError) as info:
        wheel._place(built, out, log=print)
    assert str(info.value) == (
        f"{out / NAME} already exists with other contents (the series changed without "
        "a new local version label?); remove it, or bump the label in the series "
        "folder's local-version file; nothing was changed."
    )
    assert fingerprint(out) == {NAME: b"an older build\n"}


def test_help_explains_the_scheme(capsys):
    with pytest.raises(SystemExit):
        cli.main(["wheel", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "aiterprefetch.<number of patches in the series>" in text
    assert 'importlib.metadata.version("django")' in text
    assert "SOURCE_DATE_EPOCH" in text


# End to end, with the kit's real series.

REAL_SERIES = ROOT / "patches" / "4.2.x" / "series"

FEATURE_SCRIPT = textwrap.dedent("""
    import importlib.metadata

    import django
    from asgiref.sync import async_to_sync
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        },
        INSTALLED_APPS=[],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()

    from django.db import connection, models
    from django.db.models import aprefetch_related_objects
    from django.test.utils import CaptureQueriesContext


    class Author(models.Model):
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "kit"


    class Book(models.Model):
        author = models.ForeignKey(Author, models.CASCADE, related_name="books")
        title = models.CharField(max_length=20)

        class Meta:
            app_label = "kit"


    with connection.schema_editor() as editor:
        editor.create_model(Author)
        editor.create_model(Book)
    for a in range(5):
        author = Author.objects.create(name=f"a{a}")
        for b in range(2):
            Book.objects.create(author=author, title=f"a{a}b{b}")

    qs = Author.objects.prefetch_related("books").order_by("pk")


    async def consume():
        return [
            (a.name, [b.title for b in a.books.all()])
            async for a in qs.aiterator(chunk_size=2)
        ]


    async def prefetch():
        authors = [a async for a in Author.objects.order_by("pk")]
        await aprefetch_related_objects(authors, "books")
        return [(a.name, [b.title for b in a.books.all()]) for a in authors]


    with CaptureQueriesContext(connection) as sync_queries:
        expected = [
            (a.name, [b.title for b in a.books.all()]) for a in qs.iterator(chunk_size=2)
        ]
    with CaptureQueriesContext(connection) as async_queries:
        got = async_to_sync(consume)()
    assert got == expected, (got, expected)
    assert len(async_queries) == len(sync_queries), (async_queries, sync_queries)
    assert async_to_sync(prefetch)() == expected
    print(django.get_version(), importlib.metadata.version("django"), len(got))
    """)


@pytest.mark.integration
@pytest.mark.skipif(
    not (REAL_SERIES.is_file() and REAL_SERIES.read_text().strip()),
    reason="the real patches/4.2.x series is not there yet",
)
def test_real_series_wheel_installs_and_has_the_feature(tmp_path, monkeypatch):
    monkeypatch.setenv("FORKPATCH_PATCHES", str(ROOT / "patches"))
    series = series_for("4.2.30")
    local = f"4.2.30+{wheel.local_label(series)}"
    built = wheel.build_wheel("4.2.30", tmp_path / "out", log=print)
    assert built.name == f"django-{local}-py3-none-any.whl"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", built],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "feature.py").write_text(FEATURE_SCRIPT)
    proc = subprocess.run(
        [python, "feature.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [local, local, "5"]
