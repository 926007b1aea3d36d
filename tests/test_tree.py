"""checkout and export, on fake Django releases from the loopback index."""

import logging
import subprocess

import pytest
from conftest import commit, make_series, run_git, snapshot, write_series_folder
from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.series import series_for
from forkpatch.tree import checkout, export, read_version

V = Version("4.2.30")
QUERY = "django/db/models/query.py"
FIRST = (
    "Fixed #1 -- Documented the iterable classes.\n\nA body line.",
    {
        QUERY: lambda t: t.replace(
            "class BaseIterable:", "class BaseIterable:  # It.", 1
        )
    },
)
SECOND = (
    "Refs #1 -- Added a test.",
    {"tests/prefetch_related/test_kit.py": lambda t: "# A test module.\n"},
)


@pytest.fixture
def patches(stored, tmp_path):
    """A patches tree with a two-patch 4.2.x series exported from a fake tree."""
    return stored(
        "tree",
        "patches",
        lambda root: make_series(root, "4.2.x", V, [FIRST, SECOND], tmp_path),
    )


def series(root, version=V):
    return series_for(version, root)


def test_checkout_applies_each_patch_as_a_commit(patches, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    tree = checkout(V, series(patches), tmp_path / "t")
    assert tree == tmp_path / "t"
    assert caplog.messages[-1] == "applying 2 patch(es) from patches/4.2.x"
    log = run_git(tree, "log", "--format=%an|%ad|%s", "--date=iso-strict").splitlines()
    assert log == [
        "Ada Tester|2026-11-24T12:00:00+00:00|Refs #1 -- Added a test.",
        "Ada Tester|2026-11-24T12:00:00+00:00|Fixed #1 -- Documented the iterable classes.",
        "forkpatch|2000-01-01T00:00:00+00:00|Django 4.2.30 (pristine sdist)",
    ]
    assert (
        tree / "tests/prefetch_related/test_kit.py"
    ).read_text() == "# A test module.\n"
    assert read_version(tree) == V
    assert run_git(tree, "config", "forkpatch.series").strip() == "4.2.x"
    assert not list(tmp_path.glob(".t-*")), "a temporary folder was left behind"


def test_checkout_is_reproducible(patches, tmp_path):
    heads = [
        run_git(checkout(V, series(patches), tmp_path / n), "rev-parse", "HEAD")
        for n in ("a", "b")
    ]
    assert heads[0] == heads[1]


def test_a_pre_release_checks_out_with_main(index, tmp_path):
    root = tmp_path / "patches"
    make_series(root, "main", Version("9.9a1"), [FIRST], tmp_path)
    tree = checkout(Version("9.9a1"), series(root, Version("9.9a1")), tmp_path / "t")
    assert read_version(tree) == Version("9.9a1")
    assert "# It." in (tree / QUERY).read_text()


def test_commits_made_in_a_tree_carry_the_users_identity(patches, tmp_path):
    tree = checkout(V, series(patches), tmp_path / "t")
    (tree / "docs" / "kit.txt").write_text("Docs.\n")
    run_git(tree, "add", "-A")
    run_git(tree, "commit", "-qm", "Refs #1 -- Third.")
    assert run_git(tree, "log", "-1", "--format=%an <%ae>|%cn <%ce>").strip() == (
        "Robin User <robin@users.dev>|Robin User <robin@users.dev>"
    )


def test_export_round_trip(patches, tmp_path, caplog):
    before = snapshot(patches)
    tree = checkout(V, series(patches), tmp_path / "t")
    caplog.set_level(logging.INFO)
    export(tree, patches / "4.2.x")
    assert snapshot(patches) == before
    assert (
        f"exported 2 patch(es) to {patches / '4.2.x'}: 0 new, 0 changed, 0 removed"
        in (caplog.messages)
    )
    assert not any("bump" in m for m in caplog.messages)


def test_export_of_an_added_patch(patches, tmp_path, caplog):
    """The new file is reported new; the others keep their headers byte for byte."""
    (patches / "4.2.x" / "local-version").write_text("aiterprefetch.1\n")
    before = snapshot(patches / "4.2.x")
    tree = checkout(V, series(patches), tmp_path / "t")
    commit(tree, "Refs #1 -- Third.", {"docs/kit.txt": lambda t: "Docs.\n"})
    caplog.set_level(logging.INFO)
    export(tree, patches / "4.2.x", source=series(patches))
    folder = patches / "4.2.x"
    assert (folder / "series").read_text().splitlines() == [
        "0001-Fixed-1-Documented-the-iterable-classes.patch",
        "0002-Refs-1-Added-a-test.patch",
        "0003-Refs-1-Third.patch",
    ]
    for name in ("0001-Fixed-1-Documented-the-iterable-classes.patch",
                 "0002-Refs-1-Added-a-test.patch"):  # fmt: skip
        assert (folder / name).read_bytes() == before[name]
    text = (folder / "0003-Refs-1-Third.patch").read_text()
    assert text.startswith("From 0000000000000000000000000000000000000000 Mon Sep 17")
    assert "Subject: [PATCH 3/3] Refs #1 -- Third." in text
    assert "+Docs." in text
    assert "new      0003-Refs-1-Third.patch" in caplog.messages
    assert (
        f"exported 3 patch(es) to {folder}: 1 new, 0 changed, 0 removed"
        in caplog.messages
    )
    assert caplog.messages[-1] == (
        f"the series changed: bump {folder / 'local-version'} (now aiterprefetch.1) "
        "so wheels built from it get a new local version"
    )
    # And a checkout of the new series exports to the same bytes.
    again = snapshot(folder)
    export(checkout(V, series(patches), tmp_path / "u"), folder)
    assert snapshot(folder) == again


def test_export_to_a_new_folder_copies_local_version(patches, tmp_path, caplog):
    (patches / "4.2.x" / "local-version").write_text("aiterprefetch.4\n")
    tree = checkout(V, series(patches), tmp_path / "t")
    caplog.set_level(logging.INFO)
    export(tree, tmp_path / "out", source=series(patches))
    assert (tmp_path / "out" / "local-version").read_text() == "aiterprefetch.4\n"
    assert "new      0002-Refs-1-Added-a-test.patch" in caplog.messages


def test_export_warns_about_placeholder_authors(patches, tmp_path, caplog):
    tree = checkout(V, series(patches), tmp_path / "t")
    caplog.set_level(logging.INFO)
    export(tree, patches / "4.2.x")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("commit ")
    assert (
        "is authored by Ada Tester <ada@example.com>, a placeholder address"
        in warnings[0]
    )


def test_checkout_refuses_a_non_empty_dest(patches, tmp_path):
    dest = tmp_path / "t"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(ForkpatchError) as info:
        checkout(V, series(patches), dest)
    assert str(info.value) == (
        f"{dest} exists and is not empty; remove it or choose another --dest."
    )
    assert snapshot(tmp_path) == before


def test_checkout_of_a_version_not_on_the_index(patches, tmp_path):
    with pytest.raises(ForkpatchError) as info:
        checkout(Version("4.2.99"), series(patches), tmp_path / "t")
    assert str(info.value) == (
        "Django 4.2.99 is not on the package index (newest 4.2.x: 4.2.30)."
    )
    assert not (tmp_path / "t").exists()


def test_patch_that_does_not_apply_leaves_nothing(patches, tmp_path):
    root = tmp_path / "bad"
    folder = write_series_folder(root, "4.2.x")
    good = sorted((patches / "4.2.x").glob("*.patch"))[0]
    (folder / good.name).write_bytes(good.read_bytes())
    bad = good.read_text().replace("class BaseIterable:\n", "class NoSuchClass:\n")
    (folder / "0002-bad.patch").write_text(bad)
    (folder / "series").write_text(f"{good.name}\n0002-bad.patch\n")
    trees = tmp_path / "trees"
    trees.mkdir()
    with pytest.raises(ForkpatchError) as info:
        checkout(V, series(root), trees / "t")
    assert str(info.value) == (
        "0002-bad.patch does not apply to Django 4.2.30: django/db/models/query.py."
    )
    assert list(trees.iterdir()) == []


def test_export_refusals(patches, tmp_path):
    with pytest.raises(
        ForkpatchError, match="is not a git tree made by forkpatch checkout"
    ):
        export(tmp_path, tmp_path / "out")
    tree = checkout(V, series(patches), tmp_path / "t")
    (tree / "django" / "__init__.py").write_text(
        (tree / "django" / "__init__.py").read_text() + "# edited\n"
    )
    before = snapshot(patches)
    with pytest.raises(ForkpatchError, match="has uncommitted changes; commit them"):
        export(tree, patches / "4.2.x")
    subprocess.run(["git", "checkout", "-q", "."], cwd=tree, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~2"], cwd=tree, check=True)
    with pytest.raises(
        ForkpatchError, match="has no commits on top of the pristine sdist"
    ):
        export(tree, patches / "4.2.x")
    assert snapshot(patches) == before


@pytest.mark.parametrize(
    "init, version",
    [
        ("VERSION = (4, 2, 30, 'final', 0)\n", "4.2.30"),
        ("VERSION = (5, 0, 0, 'final', 0)\n", "5.0"),
        ("VERSION = (6, 2, 0, 'alpha', 0)\n", "6.2.dev0"),
        ("VERSION = (6, 2, 0, 'alpha', 1)\n", "6.2a1"),
        ("VERSION = (6, 2, 0, 'rc', 2)\n", "6.2rc2"),
    ],
)
def test_read_version(tmp_path, init, version):
    (tmp_path / "django").mkdir()
    (tmp_path / "django" / "__init__.py").write_text(init)
    assert read_version(tmp_path) == Version(version)


def test_read_version_of_a_folder_without_django(tmp_path):
    with pytest.raises(ForkpatchError, match="is not a Django source tree"):
        read_version(tmp_path)


def test_export_with_out_needs_no_series_of_ours(
    patches, tmp_path, capsys, monkeypatch
):
    from conftest import forkpatch

    tree = checkout(V, series(patches), tmp_path / "t")
    run_git(tree, "config", "--unset", "forkpatch.series")
    monkeypatch.setenv("FORKPATCH_PATCHES", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    code, _, err = forkpatch(capsys, "export", tree, "--out", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "series").read_text().count(".patch") == 2
