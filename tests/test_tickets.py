"""export --ticket: placeholders filled in across the tree's commits and the series."""

import pytest
from conftest import (
    commit,
    error_of,
    forkpatch,
    git_state,
    make_series,
    run_git,
    snapshot,
)
from packaging.version import Version

from forkpatch.series import series_for
from forkpatch.tickets import parse_ticket
from forkpatch.tree import checkout

V = Version("4.2.30")
DOCS = "docs/ref/models/querysets.txt"


@pytest.fixture
def tree(stored, tmp_path, monkeypatch):
    root = stored("tickets", "patches", lambda root: make_series(
        root,
        "4.2.x",
        V,
        [
            (
                "[4.2.x] Fixed #PEERS -- Kept peers per chunk.\n\nSee #PEERS.",
                {DOCS: lambda t: t + "\nPeers per chunk (:ticket:`PEERS`).\n"},
            ),
            (
                "[4.2.x] Refs #PEERS -- Tested it.",
                {"tests/async/test_peers.py": lambda t: "# Ticket #PEERS.\n"},
            ),
        ],
        tmp_path,
    ))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return checkout(V, series_for(V, root), tmp_path / "t")


def test_parse_ticket():
    assert parse_ticket("peers=36123") == ("PEERS", "36123")
    for bad in ("peers", "peers=x", "=1", "9x=1"):
        with pytest.raises(Exception, match="give NAME=NUMBER"):
            parse_ticket(bad)


def test_ticket_fills_in_messages_and_files(tree, capsys, tmp_path):
    folder = tmp_path / "patches" / "4.2.x"
    code, _, err = forkpatch(capsys, "export", tree, "--ticket", "peers=36123")
    assert code == 0, err
    assert run_git(tree, "log", "-2", "--format=%s").splitlines() == [
        "[4.2.x] Refs #36123 -- Tested it.",
        "[4.2.x] Fixed #36123 -- Kept peers per chunk.",
    ]
    assert "See #36123." in run_git(tree, "log", "-1", "HEAD~1", "--format=%b")
    assert "(:ticket:`36123`)" in (tree / DOCS).read_text()
    assert (tree / "tests/async/test_peers.py").read_text() == "# Ticket #36123.\n"
    assert run_git(tree, "status", "--porcelain") == ""
    # Authors and dates are kept.
    assert run_git(tree, "log", "-1", "--format=%an|%aI|%cn|%cI").strip() == (
        "Ada Tester|2026-11-24T12:00:00Z|forkpatch|2026-11-24T12:00:00Z".replace(
            "Z", "+00:00"
        )
    )
    names = (folder / "series").read_text().split()
    assert names == [
        "0001-4.2.x-Fixed-36123-Kept-peers-per-chunk.patch",
        "0002-4.2.x-Refs-36123-Tested-it.patch",
    ]
    assert sorted(p.name for p in folder.glob("*.patch")) == names
    assert "PEERS" not in "".join(p.read_text() for p in folder.glob("*.patch"))
    # A later checkout and export give the same bytes.
    before = snapshot(folder)
    again = checkout(V, series_for(V, folder.parent), tmp_path / "again")
    assert forkpatch(capsys, "export", again)[0] == 0
    assert snapshot(folder) == before


def test_an_unknown_ticket_changes_nothing(tree, capsys, tmp_path):
    before = (git_state(tree), snapshot(tmp_path / "patches"))
    code, _, err = forkpatch(capsys, "export", tree, "--ticket", "fetch=1")
    assert code == 2
    assert error_of(err) == (
        f"no commit of {tree} mentions #FETCH or :ticket:`FETCH`; nothing was changed."
    )
    assert (git_state(tree), snapshot(tmp_path / "patches")) == before


def test_a_ticket_only_in_a_later_commit_file(tree, capsys):
    commit(tree, "Refs #1 -- Wrote #LATER.", {"docs/x.txt": lambda t: "#LATER\n"})
    code, _, err = forkpatch(capsys, "export", tree, "--ticket", "later=7")
    assert code == 0, err
    assert (tree / "docs/x.txt").read_text() == "#7\n"
    assert run_git(tree, "log", "-1", "--format=%s").strip() == "Refs #1 -- Wrote #7."
