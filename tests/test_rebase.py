"""forkpatch rebase and outdated: a series moved to another release with
git am --3way (exported on success, nothing changed on a conflict), and the
releases the compatibility table has not seen, checked with git apply --check.
"""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, forkpatch, git_state, make_series, run_git, snapshot
from packaging.version import Version

from forkpatch.rebase import seen_versions

V = Version("4.2.30")

#: Appends to django/__init__.py, far from VERSION: goes onto 4.2 with new blob ids.
TEARDOWN = ("Fixed #1 -- Added teardown().",
            {"django/__init__.py": lambda t: t + "\n\ndef teardown():\n    pass\n",
             "tests/basic/tests.py":
                 lambda t: t + "\n    def test_teardown(self):\n        pass\n"})  # fmt: skip

#: Changes the VERSION line itself: conflicts on any other release.
VERSION_LINE = ("Fixed #2 -- Marked the version.",
                {"django/__init__.py": lambda t: t.replace(
                    "VERSION = (4, 2, 30, 'final', 0)",
                    "VERSION = (4, 2, 30, 'final', 0)  # patched")})  # fmt: skip


@pytest.fixture
def clean(stored, tmp_path, monkeypatch):
    root = stored("rebase-clean", "patches", lambda root: make_series(
        root, "4.2.x", V, [TEARDOWN], tmp_path))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return root


@pytest.fixture
def conflicting(stored, tmp_path, monkeypatch):
    root = stored("rebase-conflict", "patches", lambda root: make_series(
        root, "4.2.x", V, [TEARDOWN, VERSION_LINE], tmp_path))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return root


def test_rebase_exports_onto_the_series_folder(clean, tmp_path, capsys):
    before = (clean / "4.2.x" / "series").read_text()
    code, out, err = forkpatch(capsys, "rebase", "4.2.x", "4.2")
    assert code == 0, err
    assert out.strip() == str(clean / "4.2.x")
    assert "adding Django 4.2.30's files for the three-way merge" in err
    assert "changed  0001-Fixed-1-Added-teardown.patch" in err
    assert (clean / "4.2.x" / "series").read_text() == before
    # The rebased series checks out on 4.2 without --3way; no scratch tree is left.
    assert forkpatch(capsys, "checkout", "4.2", "--dest", tmp_path / "t")[0] == 0
    assert [
        p.name for p in (tmp_path / "build").iterdir() if p.name.startswith(".")
    ] == []


def test_rebase_to_out(clean, tmp_path, capsys):
    before = snapshot(clean)
    code, out, err = forkpatch(
        capsys, "rebase", "4.2.x", "4.2", "--out", tmp_path / "o"
    )
    assert code == 0, err
    assert snapshot(clean) == before
    assert (tmp_path / "o" / "series").read_text().split() == [
        "0001-Fixed-1-Added-teardown.patch"
    ]


def test_a_conflict_names_the_patch_and_files_and_changes_nothing(
    conflicting, tmp_path, capsys
):
    run_git(conflicting, "init", "-q")
    run_git(conflicting, "add", "-A")
    run_git(conflicting, "-c", "user.name=t", "-c", "user.email=t@users.dev",
            "commit", "-qm", "series")  # fmt: skip
    state, files = git_state(conflicting), snapshot(conflicting)
    build = sorted(p.name for p in (tmp_path / "build").iterdir())
    code, out, err = forkpatch(capsys, "rebase", "4.2.x", "4.2")
    assert code == 2 and out == ""
    assert (
        "forkpatch: error: 0002-Fixed-2-Marked-the-version.patch does not go onto "
        "Django 4.2: conflicts in django/__init__.py; patches/4.2.x is unchanged."
    ) in err
    assert git_state(conflicting) == state and snapshot(conflicting) == files
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == build


def test_rebase_arguments(clean, capsys):
    code, _, err = forkpatch(capsys, "rebase", "5.0.x", "4.2")
    assert code == 2 and "there is no series '5.0.x'" in err
    code, _, err = forkpatch(capsys, "rebase", "4.2.x", "4.2.7")
    assert code == 2 and "Django 4.2.7 is not on the package index" in err


def test_seen_versions(tmp_path):
    path = tmp_path / "c.md"
    assert seen_versions(path) == set()
    path.write_text(
        "| version | series |\n|---|---|\n| 4.2 | 4.2.x |\n| 6.2a1 | main |\n"
    )
    assert seen_versions(path) == {Version("4.2"), Version("6.2a1")}


def test_outdated_lists_unseen_releases(clean, tmp_path, capsys):
    compat = tmp_path / "compatibility.md"
    compat.write_text("| version | series |\n|---|---|\n| 4.2 | 4.2.x |\n")
    code, out, err = forkpatch(capsys, "outdated", "--compat", compat)
    assert code == 0, err
    assert [line.split(None, 2) for line in out.splitlines()[2:]] == [
        ["4.2.30", "patches/4.2.x", "applies"],
        ["9.9a1", "-", "no series covers it"],
    ]


def test_outdated_names_the_patch_and_file_that_do_not_apply(
    conflicting, tmp_path, capsys
):
    code, out, err = forkpatch(capsys, "outdated", "--compat", tmp_path / "none.md")
    assert code == 1, err
    assert "(it does not exist: every release)" in err
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert lines["4.2.30"].split()[1:] == ["patches/4.2.x", "applies"]
    assert lines["4.2"].endswith(
        "does not apply: 0002-Fixed-2-Marked-the-version.patch: django/__init__.py "
        "(its context does not match)"
    )
    assert "4.1.13" not in lines  # Older than every series' line.


def _forkpatch(*args):
    return subprocess.run(
        [sys.executable, "-m", "forkpatch", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


@pytest.mark.integration
def test_rebase_a_real_series_onto_the_lines_first_release(tmp_path):
    """patches/4.2.x, made on 4.2.30, goes onto 4.2; a patch edited to differ conflicts."""
    patches = tmp_path / "patches"
    shutil.copytree(ROOT / "patches" / "4.2.x", patches / "4.2.x")
    proc = _forkpatch(
        "--patches", patches, "rebase", "4.2.x", "4.2", "--from", "4.2.30"
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "exported 5 patch(es)" in proc.stdout
    proc = _forkpatch("--patches", patches, "checkout", "4.2", "--dest", tmp_path / "t")
    assert proc.returncode == 0, proc.stdout[-3000:]
    # Provoke a conflict: the first patch's first removed line, edited in the copy.
    first = patches / "4.2.x" / (patches / "4.2.x" / "series").read_text().split()[0]
    text = first.read_text()
    at = text.index("\n-", text.index("@@")) + 2
    first.write_text(text[:at] + "CONFLICT " + text[at:])
    run_git(patches, "init", "-q")
    run_git(patches, "add", "-A")
    run_git(patches, "-c", "user.name=t", "-c", "user.email=t@users.dev",
            "commit", "-qm", "the series, one patch edited")  # fmt: skip
    before, state = snapshot(patches), git_state(patches)
    proc = _forkpatch("--patches", patches, "rebase", "4.2.x", "4.2.30")
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert (
        f"forkpatch: error: {first.name} does not go onto Django 4.2.30: "
        in proc.stdout
    )
    assert "patches/4.2.x is unchanged." in proc.stdout
    assert snapshot(patches) == before and git_state(patches) == state


@pytest.mark.integration
def test_outdated_on_the_real_index(tmp_path):
    """Only 4.2's releases newer than 4.2.29 are unseen: each applies."""
    patches = tmp_path / "patches"
    shutil.copytree(ROOT / "patches" / "4.2.x", patches / "4.2.x")
    compat = tmp_path / "compatibility.md"
    from forkpatch import sdist

    seen = [v for v in sdist.releases() if v < Version("4.2.29")]
    compat.write_text("".join(f"| {v} | x |\n" for v in seen))
    proc = _forkpatch("--patches", patches, "outdated", "--compat", compat)
    assert proc.returncode == 0, proc.stdout[-3000:]
    rows = [line.split()[:3] for line in proc.stdout.splitlines() if line[:1].isdigit()]
    assert ["4.2.29", "patches/4.2.x", "applies"] in rows
    assert ["4.2.30", "patches/4.2.x", "applies"] in rows
