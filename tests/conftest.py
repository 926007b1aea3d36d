"""Shared fixtures for the kit's own tests.

Database servers: the integration tests run Django's suite on PostgreSQL and
MariaDB when they answer (FORKPATCH_TEST_POSTGRES / FORKPATCH_TEST_MYSQL override
the URLs). Locally a server that does not answer is skipped with a message; when
the CI environment variable is set it is a failure.
"""

import os
import subprocess
from pathlib import Path

import pytest

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import PRISTINE_IDENTITY
from forkpatch.runner import check_reachable, parse_db

ROOT = Path(__file__).resolve().parent.parent

DATABASES = {
    "sqlite": "sqlite",
    "postgresql": os.environ.get(
        "FORKPATCH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/forkpatch"
    ),
    "mysql": os.environ.get(
        "FORKPATCH_TEST_MYSQL", "mysql://root@127.0.0.1:3306/forkpatch"
    ),
}


def server_answers(url):
    try:
        check_reachable(parse_db(url))
    except ForkpatchError:
        return False
    return True


def require_database(vendor):
    """The URL of a database to test on, or a skip (a failure under CI)."""
    url = DATABASES[vendor]
    if vendor == "sqlite" or server_answers(url):
        return url
    message = f"the {vendor} server at {url} does not answer"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: every backend must run)")
    pytest.skip(f"{message}; start it to run these tests")


#: The author of the commits the tests make on top of a pristine tree.
AUTHOR = {
    **PRISTINE_IDENTITY,
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "2026-11-24T12:00:00Z",
}


def run_git(cwd, *args, env=None):
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(tree, message, edits, env=AUTHOR):
    """Commit edits (file name -> function of its old text) to a tree."""
    for name, change in edits.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change(path.read_text() if path.exists() else ""))
    run_git(tree, "add", "-A", env=env)
    run_git(tree, "commit", "-qm", message, env=env)


def make_tree(path, files):
    """A small git tree: a pristine commit of ``files`` (name -> text)."""
    path.mkdir(parents=True)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    env = {**os.environ, **PRISTINE_IDENTITY}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "pristine"],
    ):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)
    return path


def snapshot(path):
    """Every file's path and bytes under path (.git included): to prove nothing changed."""
    path = Path(path)
    if not path.exists():
        return None
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def error_of(err):
    """The single error line of a command's stderr (progress lines come before it)."""
    lines = [line for line in err.splitlines() if line.startswith("forkpatch: error:")]
    assert len(lines) == 1, err
    return lines[0].removeprefix("forkpatch: error: ")
