"""Filling in ticket numbers: ``forkpatch export --ticket peers=36123``.

Until a Django ticket exists, commit subjects say ``Fixed #PEERS -- ...`` and docs
say ``:ticket:`PEERS```. Filling in a number rewrites every commit above the
pristine one: its message and the files the series touches, with each commit's
author, committer and dates kept, so the tree and the exported patches stay
consistent and a later checkout and export give the same bytes.
"""

import logging
import os
import re
import tempfile
from pathlib import Path

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def parse_ticket(text):
    """NAME=NUMBER as (NAME upper-cased, NUMBER)."""
    name, sep, number = text.partition("=")
    if not sep or not NAME_RE.match(name) or not number.isdigit():
        raise ForkpatchError(
            f"--ticket {text!r}: give NAME=NUMBER, e.g. --ticket peers=36123."
        )
    return name.upper(), number


def _pattern(name):
    return re.compile(rf"#{name}\b|:ticket:`{name}`")


def _fill(text, tickets):
    for name, number in tickets.items():
        text = _pattern(name).sub(
            lambda m, number=number: m[0].replace(name, number), text
        )
    return text


def fill_tickets(tree, root, tickets):
    """Rewrite the commits root..HEAD of tree with the ticket numbers filled in."""
    commits = git("rev-list", "--reverse", f"{root}..HEAD", cwd=tree).stdout.split()
    if git("rev-list", "--min-parents=2", f"{root}..HEAD", cwd=tree).stdout.strip():
        raise ForkpatchError(
            f"{tree} has merge commits; --ticket needs a linear history."
        )
    touched = sorted(
        set(
            git(
                "diff", "--name-only", "--no-renames", root, "HEAD", cwd=tree
            ).stdout.splitlines()
        )
    )
    found = set()
    for sha in commits:
        message = git("cat-file", "commit", sha, cwd=tree).stdout.partition("\n\n")[2]
        found |= {n for n in tickets if _pattern(n).search(message)}
    for path in touched:
        proc = git("show", f"HEAD:{path}", cwd=tree, check=False)
        found |= {n for n in tickets if _pattern(n).search(proc.stdout)}
    # A placeholder may be gone from HEAD but in an earlier commit's files.
    for name in set(tickets) - found:
        proc = git("log", "-p", "--format=", f"{root}..HEAD", cwd=tree)
        if _pattern(name).search(proc.stdout):
            found.add(name)
    unknown = sorted(set(tickets) - found)
    if unknown:
        raise ForkpatchError(
            f"no commit of {tree} mentions #{unknown[0]} or :ticket:`{unknown[0]}`; "
            "nothing was changed."
        )
    parent = root
    with tempfile.TemporaryDirectory(prefix="forkpatch-ticket-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        for sha in commits:
            parent = _rewrite(tree, sha, parent, touched, tickets, env)
    branch = git("symbolic-ref", "-q", "HEAD", cwd=tree, check=False).stdout.strip()
    message = "forkpatch export --ticket"
    git("update-ref", "-m", message, branch or "HEAD", parent, cwd=tree)
    git("reset", "-q", "--hard", parent, cwd=tree)
    log.info(
        "filled in "
        + ", ".join(f"#{name} -> #{number}" for name, number in tickets.items())
        + f" in {len(commits)} commit(s)"
    )


def _rewrite(tree, sha, parent, touched, tickets, env):
    git("read-tree", sha, cwd=tree, env=env)
    listing = git("ls-tree", "-r", sha, "--", *touched, cwd=tree).stdout.splitlines()
    for line in listing:
        meta, path = line.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind != "blob":
            continue
        data = git("cat-file", "blob", blob, cwd=tree).stdout
        filled = _fill(data, tickets)
        if filled != data:
            new = _hash_object(tree, filled)
            git(
                "update-index", "--cacheinfo", f"{mode},{new},{path}", cwd=tree, env=env
            )
    new_tree = git("write-tree", cwd=tree, env=env).stdout.strip()
    fields = (
        git(
            "log",
            "-1",
            "--format=%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI",
            sha,
            cwd=tree,
        )
        .stdout.rstrip("\n")
        .split("\0")
    )
    identity = dict(
        zip(
            [
                "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
                "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE",
            ],
            fields,
        )
    )  # fmt: skip
    raw = git("cat-file", "commit", sha, cwd=tree).stdout
    message = _fill(raw.partition("\n\n")[2], tickets)
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".msg") as f:
        f.write(message)
    try:
        return git(
            "commit-tree", new_tree, "-p", parent, "-F", f.name,
            cwd=tree, env=identity,
        ).stdout.strip()  # fmt: skip
    finally:
        os.unlink(f.name)


def _hash_object(tree, text):
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(text)
    try:
        return git("hash-object", "-w", f.name, cwd=tree).stdout.strip()
    finally:
        os.unlink(f.name)
