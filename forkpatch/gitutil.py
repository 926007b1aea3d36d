"""Running git with settings that make its output the same on every machine."""

import os
import subprocess

from forkpatch.errors import ForkpatchError

#: Who makes the pristine commit of a tree, and when: fixed, so trees are reproducible.
PRISTINE_IDENTITY = {
    "GIT_AUTHOR_NAME": "forkpatch",
    "GIT_AUTHOR_EMAIL": "forkpatch@localhost",
    "GIT_COMMITTER_NAME": "forkpatch",
    "GIT_COMMITTER_EMAIL": "forkpatch@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
}

#: Who applies the patches; each commit keeps its patch's author and date.
COMMITTER = {
    key: value for key, value in PRISTINE_IDENTITY.items() if "COMMITTER" in key
}

#: Options that keep a user's git configuration out of what we write.
CONFIG = [
    "-c", "core.abbrev=12",
    "-c", "core.autocrlf=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.renames=false",
    "-c", "format.signature=",
    "-c", "commit.gpgsign=false",
    "-c", "am.threeWay=false",
    "-c", "init.defaultBranch=main",
]  # fmt: skip


def git(*args, cwd, env=None, check=True):
    """Run git and return the completed process; raise ForkpatchError on failure."""
    full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    try:
        proc = subprocess.run(
            ["git", *CONFIG, *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        raise ForkpatchError("git is not installed; install it (apt-get install git).")
    if check and proc.returncode:
        message = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise ForkpatchError(
            f"git {args[0]} failed in {cwd}: {message[-1] if message else 'no output'}"
        )
    return proc
