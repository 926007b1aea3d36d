"""checkout and export against a real Django 4.2.30 sdist and small series made here."""

import subprocess

import pytest
from conftest import commit, snapshot

from forkpatch.errors import ForkpatchError
from forkpatch.tree import checkout, export, read_version


@pytest.fixture(scope="module")
def series_root(tmp_path_factory):
    """patches/ with a two-patch 4.2.x series written by export from a real tree."""
    root = tmp_path_factory.mktemp("patches")
    (root / "4.2.x").mkdir()
    (root / "4.2.x" / "series").write_text("")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORKPATCH_PATCHES", str(root))
    tree = checkout(
        "4.2.30", tmp_path_factory.mktemp("trees") / "base", log=lambda m: None
    )
    commit(
        tree,
        "Fixed #1 -- Documented the iterable classes.\n\nA body line.",
        {
            "django/db/models/query.py": lambda t: t.replace(
                "class BaseIterable:", "class BaseIterable:  # Iterates a QuerySet.", 1
            )
        },
    )
    commit(
        tree,
        "Refs #1 -- Added a test.",
        {"tests/prefetch_related/test_kit.py": lambda t: "# A test module.\n"},
    )
    export(tree, log=lambda m: None)
    yield root
    mp.undo()


@pytest.fixture
def patches(series_root, monkeypatch):
    monkeypatch.setenv("FORKPATCH_PATCHES", str(series_root))
    return series_root


def test_checkout_applies_each_patch_as_a_commit(patches, tmp_path):
    messages = []
    tree = checkout("4.2.30", tmp_path / "t", log=messages.append)
    assert tree == tmp_path / "t"
    assert messages[-1] == "applying 2 patch(es) from patches/4.2.x"
    log = subprocess.run(
        ["git", "log", "--format=%an|%ad|%s", "--date=iso-strict"],
        cwd=tree, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert log == [
        "Ada Tester|2026-11-24T12:00:00+00:00|Refs #1 -- Added a test.",
        "Ada Tester|2026-11-24T12:00:00+00:00|Fixed #1 -- Documented the iterable classes.",
        "forkpatch|2000-01-01T00:00:00+00:00|Django 4.2.30 (pristine sdist)",
    ]
    assert (
        tree / "tests/prefetch_related/test_kit.py"
    ).read_text() == "# A test module.\n"
    assert str(read_version(tree)) == "4.2.30"
    assert not list(tmp_path.glob(".t-*")), "a temporary folder was left behind"


def test_checkout_is_reproducible(patches, tmp_path):
    heads = [
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=checkout("4.2.30", tmp_path / n, log=print),
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        for n in ("a", "b")
    ]
    assert heads[0] == heads[1]


def test_export_round_trip(patches, tmp_path):
    before = snapshot(patches)
    tree = checkout("4.2.30", tmp_path / "t", log=print)
    messages = []
    export(tree, log=messages.append)
    assert snapshot(patches) == before
    assert messages == [
        f"exported 2 patch(es) to {patches / '4.2.x'}: 0 changed, 0 removed"
    ]


def test_export_after_an_edit_rewrites_the_series(patches, tmp_path):
    tree = checkout("4.2.30", tmp_path / "t", log=print)
    commit(tree, "Refs #1 -- Third.", {"docs/kit.txt": lambda t: "Docs.\n"})
    out = tmp_path / "out"
    export(tree, out, log=print)
    assert (out / "series").read_text().splitlines() == [
        "0001-Fixed-1-Documented-the-iterable-classes.patch",
        "0002-Refs-1-Added-a-test.patch",
        "0003-Refs-1-Third.patch",
    ]
    text = (out / "0003-Refs-1-Third.patch").read_text()
    assert text.startswith("From 0000000000000000000000000000000000000000 Mon Sep 17")
    assert "Subject: [PATCH 3/3] Refs #1 -- Third." in text
    assert "+Docs." in text and not text.rstrip().endswith("2.39.5")


def test_checkout_refuses_a_non_empty_dest(patches, tmp_path):
    dest = tmp_path / "t"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(ForkpatchError) as info:
        checkout("4.2.30", dest, log=print)
    assert str(info.value) == (
        f"{dest} exists and is not empty; remove it or choose another --dest."
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "version, message",
    [
        ("3.2.25", "no patch series covers Django 3.2.25 (series: 4.2.x)."),
        ("4.2.99", "Django 4.2.99 is not on the package index (newest 4.2.x: 4.2.30)."),
        ("latest", "'latest' is not a Django version number (try 4.2.30)."),
    ],
)
def test_checkout_refuses_bad_versions(patches, tmp_path, version, message):
    with pytest.raises(ForkpatchError) as info:
        checkout(version, tmp_path / "t", log=print)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


def test_patch_that_does_not_apply_leaves_nothing(series_root, monkeypatch, tmp_path):
    root = tmp_path / "patches"
    (root / "4.2.x").mkdir(parents=True)
    good = sorted((series_root / "4.2.x").glob("*.patch"))[0]
    (root / "4.2.x" / good.name).write_bytes(good.read_bytes())
    bad = good.read_text().replace("class BaseIterable:\n", "class NoSuchClass:\n")
    (root / "4.2.x" / "0002-bad.patch").write_text(bad)
    (root / "4.2.x" / "series").write_text(f"{good.name}\n0002-bad.patch\n")
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    trees = tmp_path / "trees"
    trees.mkdir()
    with pytest.raises(ForkpatchError) as info:
        checkout("4.2.30", trees / "t", log=print)
    assert str(info.value) == (
        "0002-bad.patch does not apply to Django 4.2.30: django/db/models/query.py."
    )
    assert list(trees.iterdir()) == []


def test_export_refusals(patches, tmp_path):
    with pytest.raises(
        ForkpatchError, match="is not a git tree made by forkpatch checkout"
    ):
        export(tmp_path, log=print)
    tree = checkout("4.2.30", tmp_path / "t", log=print)
    (tree / "django" / "__init__.py").write_text(
        (tree / "django" / "__init__.py").read_text() + "# edited\n"
    )
    before = snapshot(patches)
    with pytest.raises(ForkpatchError, match="has uncommitted changes; commit them"):
        export(tree, log=print)
    subprocess.run(["git", "checkout", "-q", "."], cwd=tree, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~2"], cwd=tree, check=True)
    with pytest.raises(
        ForkpatchError, match="has no commits on top of the pristine sdist"
    ):
        export(tree, log=print)
    assert snapshot(patches) == before


def test_read_version_of_a_folder_without_django(tmp_path):
    with pytest.raises(ForkpatchError, match="is not a Django source tree"):
        read_version(tmp_path)
