"""checkout --git: a series onto an existing Django clone, on a branch of its own."""

import fakedjango
import pytest
from conftest import (
    commit,
    error_of,
    forkpatch,
    git_state,
    make_series,
    run_git,
)
from packaging.version import Version

QUERY = "django/db/models/query.py"
MARK = (
    "Fixed #1 -- Marked the iterable.",
    {
        QUERY: lambda t: t.replace(
            "class BaseIterable:", "class BaseIterable:  # Kit.", 1
        )
    },
)
TEST = (
    "Refs #1 -- Added a test.",
    {"tests/async/test_kit.py": lambda t: "    def test_kit(self):\n"},
)


@pytest.fixture
def main_series(stored, tmp_path, monkeypatch):
    """patches/main: two patches made on the fake 9.9a1."""
    root = stored(
        "clone", "patches",
        lambda root: make_series(root, "main", Version("9.9a1"), [MARK, TEST], tmp_path),
    )  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return root


@pytest.fixture
def clone(tmp_path):
    """A git repository of Django's main branch (9.9.dev) with its own history."""
    path = fakedjango.write_tree(tmp_path / "django", "9.9", dev=True)
    run_git(path, "init", "-q", "-b", "main")
    run_git(path, "add", "-A")
    run_git(path, "commit", "-qm", "Initial.")
    commit(path, "Later work on main.", {"README": lambda t: "Django\n"})
    return path


def test_the_series_goes_onto_a_new_branch(main_series, clone, capsys):
    head = run_git(clone, "rev-parse", "HEAD").strip()
    code, out, err = forkpatch(capsys, "checkout", "--git", clone)
    assert code == 0, err
    assert out == "forkpatch/main\n"
    assert run_git(clone, "symbolic-ref", "--short", "HEAD").strip() == "forkpatch/main"
    log = run_git(clone, "log", "--format=%s|%an|%cn <%ce>", f"{head}..").splitlines()
    assert log == [
        "Refs #1 -- Added a test.|Ada Tester|Robin User <robin@users.dev>",
        "Fixed #1 -- Marked the iterable.|Ada Tester|Robin User <robin@users.dev>",
    ]
    assert run_git(clone, "rev-parse", "main").strip() == head
    assert f"run its tests with: forkpatch test --tree {clone}" in err


def test_test_runs_on_the_clone(main_series, clone, capsys, shared_venv):
    assert forkpatch(capsys, "checkout", "--git", clone)[0] == 0
    code, out, err = forkpatch(capsys, "test", "--tree", clone)
    assert code == 0, err
    assert "Ran 4 tests in" in out  # async (3 with the kit's test), prefetch_related.
    assert (
        f"running runtests.py async prefetch_related --noinput in {clone}/tests" in err
    )


def test_ref_and_series(main_series, clone, capsys):
    first = run_git(clone, "rev-list", "--max-parents=0", "HEAD").strip()
    code, out, err = forkpatch(
        capsys, "checkout", "--git", clone, "--ref", first, "--series", "main"
    )
    assert code == 0, err
    assert run_git(clone, "rev-parse", "HEAD~2").strip() == first


def test_a_conflict_leaves_the_clone_as_it_was(main_series, clone, capsys):
    commit(
        clone,
        "Local change.",
        {
            QUERY: lambda t: t.replace(
                "class BaseIterable:", "class BaseIterable:  # Ours.", 1
            )
        },
    )
    before = git_state(clone)
    code, _, err = forkpatch(capsys, "checkout", "--git", clone)
    assert code == 2
    assert error_of(err) == (
        f"0001-Fixed-1-Marked-the-iterable.patch does not apply to {clone} at HEAD: "
        f"{QUERY}."
    )
    assert git_state(clone) == before
    assert "forkpatch/main" not in run_git(clone, "branch")


def test_a_detached_head_is_restored(main_series, clone, capsys):
    run_git(clone, "checkout", "-q", "--detach", "HEAD~1")
    commit(clone, "Local change.", {QUERY: lambda t: "changed\n"})
    before = git_state(clone)
    assert forkpatch(capsys, "checkout", "--git", clone)[0] == 2
    assert git_state(clone) == before


@pytest.mark.parametrize(
    "prepare, message",
    [
        (lambda c: (c / "README").write_text("dirty\n"), "has uncommitted changes"),
        (
            lambda c: run_git(c, "branch", "forkpatch/main"),
            "already has a branch forkpatch/main",
        ),
    ],
)
def test_refusals_change_nothing(main_series, clone, capsys, prepare, message):
    prepare(clone)
    before = git_state(clone)
    code, _, err = forkpatch(capsys, "checkout", "--git", clone)
    assert code == 2
    assert message in error_of(err)
    assert git_state(clone) == before


def test_not_a_clone(main_series, tmp_path, capsys):
    code, _, err = forkpatch(capsys, "checkout", "--git", tmp_path)
    assert code == 2
    assert error_of(err) == f"{tmp_path} is not the top of a git clone of Django."


def test_checkout_arguments(capsys):
    for args, message in (
        (["checkout"], "checkout needs a VERSION or --git DIR"),
        (["checkout", "4.2.30", "--git", "x"], "not both"),
        (["checkout", "4.2.30", "--ref", "x"], "--ref goes with --git DIR"),
    ):
        with pytest.raises(SystemExit):
            forkpatch(capsys, *args)
        assert message in capsys.readouterr().err
