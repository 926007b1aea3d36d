"""forkpatch wheel, on the fake Django 4.2.30 with small series made here.

Series: ``ok`` (0001 edits django/db/models/query.py, 0002 adds a test file),
``conflict`` (a patch that does not apply to 4.2.30) and ``broken`` (a patch
that makes pyproject.toml unreadable, so the build itself fails). The unit tier
builds with the fake release's in-tree backend and a stand-in for python -m
build; the integration tier builds real Django with the pinned real tools.
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
from conftest import ROOT, error_of, make_series, write_series_folder
from packaging.version import Version

from forkpatch import cli, wheel
from forkpatch.errors import ForkpatchError
from forkpatch.series import series_for

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


QUERY = "django/db/models/query.py"
MARK = (
    "Fixed #1 -- Documented the iterable classes.",
    {
        QUERY: lambda t: t.replace(
            "class BaseIterable:", "class BaseIterable:  # Iterates a QuerySet.", 1
        )
    },
)


@pytest.fixture
def roots(stored, tmp_path, build_tools_venv):
    """Patches trees, each with a 4.2.x series exported from a fake tree."""
    v = Version("4.2.30")
    made = {}
    made["empty"] = tmp_path / "empty"
    write_series_folder(made["empty"], "4.2.x")
    for name, commits, keep in (
        ("ok", [MARK, ("Refs #1 -- Added a test.",
                       {"tests/prefetch_related/test_kit.py": lambda t: "# A test.\n"})], None),
        ("conflict", [MARK, ("Refs #1 -- Reworded the comment.",
                             {QUERY: lambda t: t.replace("a QuerySet.", "", 1)})], [1]),
        ("broken", [("Refs #1 -- Broke pyproject.toml.",
                     {"pyproject.toml": lambda t: t + "[[[\n"})], None),
    ):  # fmt: skip
        made[name] = stored(
            f"wheel-{name}",
            name,
            lambda root, c=commits, k=keep: make_series(
                root, "4.2.x", v, c, tmp_path, keep=k
            ),
        )
    return made


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


def label_series(tmp_path, patches=2, local=None):
    folder = tmp_path / "4.2.x"
    folder.mkdir()
    names = [f"{n:04}-x.patch" for n in range(1, patches + 1)]
    for name in names:
        (folder / name).write_text("x\n")
    (folder / "series").write_text("".join(f"{n}\n" for n in names))
    if local is not None:
        (folder / "local-version").write_text(local)
    return series_for(Version("4.2.30"), tmp_path)


def test_label_counts_the_patches(tmp_path):
    assert wheel.local_label(label_series(tmp_path, patches=3)) == "aiterprefetch.3"


def test_label_from_the_series_folder(tmp_path):
    series = label_series(tmp_path, local="aiterprefetch.7\n")
    assert wheel.local_label(series) == "aiterprefetch.7"


@pytest.mark.parametrize("text", ["Aiter", "aiter-1", "aiter.07", "", "a..b", "a+b"])
def test_label_that_is_not_pep_440(tmp_path, text):
    series = label_series(tmp_path, local=text)
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


@pytest.fixture
def built(roots, tmp_path, monkeypatch):
    """The ok series' wheel, built with the command line."""
    monkeypatch.setenv("FORKPATCH_PATCHES", str(roots["ok"]))
    out = tmp_path / "wheels"
    assert cli.main(["wheel", "4.2.30", "-o", str(out)]) == 0
    return out / NAME


def check_wheel(built, label, query_mark="class BaseIterable:  # Iterates a QuerySet."):
    """The local version, the patches, and a fixed order, dates and modes."""
    with zipfile.ZipFile(built) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        dist = built.name.split("-py3")[0]
        metadata = z.read(f"{dist}.dist-info/METADATA").decode()
        version_py = z.read("django/utils/version.py").decode()
        query = z.read("django/db/models/query.py").decode()
    assert f"Version: {dist.split('-', 1)[1]}\n" in metadata
    assert query_mark in query
    assert 'FORKPATCH_SERIES = "4.2.x"' in version_py
    assert f'FORKPATCH_LOCAL_VERSION = "{label}"' in version_py
    assert re.search(r'FORKPATCH_DIGEST = "[0-9a-f]{12}"', version_py)
    assert not any(n.startswith("tests/") for n in names)
    # The package's files, then .dist-info with RECORD last; the same order every
    # time (the bytes of two builds are compared by the callers).
    dist_info = [n for n in names if ".dist-info/" in n]
    assert names[len(names) - len(dist_info) :] == dist_info
    assert dist_info[-1].endswith("/RECORD")
    assert len({i.date_time for i in infos}) == 1
    modes = {i.filename: i.external_attr >> 16 for i in infos}
    assert modes.pop("django/conf/project_template/manage.py-tpl") == 0o100755
    assert set(modes.values()) - {0o100664} == {0o100644}  # RECORD: the wheel's own.
    assert record_is_valid(built)
    return {i.date_time for i in infos}.pop()


def test_the_wheel_has_the_local_version_and_the_patches(built):
    assert check_wheel(built, "aiterprefetch.2") == (2026, 11, 24, 12, 0, 0)


def test_building_again_gives_the_same_bytes(built, use, tmp_path, capsys):
    """A second build from scratch into a folder holding the first: same bytes."""
    root = use("ok")
    out = Path(shutil.copytree(built.parent, tmp_path / "again"))
    capsys.readouterr()
    code, stdout, err = forkpatch(capsys, "4.2.30", "-o", out)
    assert code == 0, err
    assert stdout == f"{out / NAME}\n"
    digest = series_for(Version("4.2.30"), root).digest()
    assert err.splitlines()[-3:] == [
        f"forkpatch: building Django 4.2.30+aiterprefetch.2 (SOURCE_DATE_EPOCH={EPOCH})",
        f"forkpatch: {out / NAME} already exists with the same contents; left as is",
        f"forkpatch: {NAME}: Django 4.2.30+aiterprefetch.2, ok/4.2.x (2 patches, "
        f"digest {digest}), sha256 {sha256(built)}",
    ]
    assert fingerprint(out) == fingerprint(built.parent)
    assert not any(use.scratch.iterdir()), "a temporary folder was left behind"


def test_installed_wheel_reports_the_local_version(built, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    with zipfile.ZipFile(built) as z:  # What pip does with a pure wheel.
        z.extractall(venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
                     / "site-packages")  # fmt: skip
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
    assert error_of(err) == "empty/4.2.x has no patches; there is nothing to build."
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
        wheel._place(built, out)
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


def test_help_example_label_is_the_shipped_one(capsys):
    """The example in wheel --help names the label a wheel of 4.2.30 really gets."""
    label = wheel.local_label(series_for(Version("4.2.30"), ROOT / "patches"))
    with pytest.raises(SystemExit):
        cli.main(["wheel", "--help"])
    text = capsys.readouterr().out
    assert f"dist/django-4.2.30+{label}-py3-none-any.whl" in text
    assert f"e.g. 4.2.30+{label}." in " ".join(text.split())


def test_wheel_version_reads_the_metadata(tmp_path):
    path = tmp_path / "django-1.0+x.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "django-1.0+x.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Django\nVersion: 1.0+x.2\n",
        )
    with pytest.raises(
        ForkpatchError, match="METADATA says version 1.0\\+x.2, its name 1.0\\+x.1"
    ):
        wheel.wheel_version(path)


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
def test_real_series_wheel_installs_and_has_the_feature(tmp_path):
    """Real Django, real series, real pinned tools: reproducible, installs, works."""
    version = Version("4.2.30")
    series = series_for(version, ROOT / "patches")
    label = wheel.local_label(series)
    local = f"4.2.30+{label}"
    build = tmp_path / "build"
    (build / "venvs").mkdir(parents=True)
    built = wheel.build_wheel(build, version, series, tmp_path / "out")
    assert built.name == f"django-{local}-py3-none-any.whl"
    check_wheel(built, label, "aprefetch_related_objects")
    again = wheel.build_wheel(build, version, series, tmp_path / "again")
    assert sha256(again) == sha256(built)
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
