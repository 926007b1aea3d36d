"""checkout --git: a series onto an existing Django git clone, on a branch of its own.

The series goes onto a new branch ``forkpatch/<series>`` made from REF, with
``git am --3way`` and the user's own git identity as committer. On a conflict the
clone is put back as it was: the am is aborted, the original checkout restored,
the new branch deleted.
"""

import logging
from pathlib import Path

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.tree import apply_patches, version_from_source

log = logging.getLogger(__name__)


def clone_version(clone, ref="HEAD"):
    """The Django version of a clone at ref, from its django/__init__.py."""
    clone = Path(clone)
    if not clone.is_dir():
        raise ForkpatchError(f"{clone} is not a folder.")
    top = git("rev-parse", "--show-toplevel", cwd=clone, check=False)
    if top.returncode or Path(top.stdout.strip()).resolve() != clone.resolve():
        raise ForkpatchError(f"{clone} is not the top of a git clone of Django.")
    proc = git(
        "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", cwd=clone, check=False
    )
    if proc.returncode:
        raise ForkpatchError(f"{clone} has no commit {ref!r}.")
    proc = git("show", f"{ref}:django/__init__.py", cwd=clone, check=False)
    if proc.returncode:
        raise ForkpatchError(f"{clone} at {ref} is not Django (no django/__init__.py).")
    return version_from_source(proc.stdout, f"{clone}/django/__init__.py at {ref}")


def _check_clean(clone):
    for name in ("rebase-apply", "rebase-merge"):
        where = git("rev-parse", "--git-path", name, cwd=clone).stdout.strip()
        if (Path(clone) / where).exists():
            raise ForkpatchError(
                f"a git am or rebase is in progress in {clone}; finish it first."
            )
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=clone).stdout
    if dirty.strip():
        raise ForkpatchError(
            f"{clone} has uncommitted changes; commit or stash them first."
        )
    if git("var", "GIT_COMMITTER_IDENT", cwd=clone, check=False).returncode:
        raise ForkpatchError(
            f"git does not know who you are in {clone}: set user.name and user.email "
            "(git config user.email you@example.com)."
        )


def apply_to_clone(clone, series, ref="HEAD"):
    """Make branch forkpatch/<series> from ref in clone and git am the series onto it."""
    clone = Path(clone)
    _check_clean(clone)
    branch = f"forkpatch/{series.name}"
    if not git("rev-parse", "--verify", "-q", f"refs/heads/{branch}", cwd=clone,
               check=False).returncode:  # fmt: skip
        raise ForkpatchError(
            f"{clone} already has a branch {branch}; delete it "
            f"(git branch -D {branch}) or rename it first."
        )
    original = git("symbolic-ref", "-q", "--short", "HEAD", cwd=clone, check=False)
    back = original.stdout.strip() or git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    git("checkout", "-q", "-b", branch, ref, cwd=clone)
    log.info(
        f"applying {len(series.patches)} patch(es) from {series.label} on {branch}"
    )
    try:
        # No identity override: the commits carry the user's own git identity.
        apply_patches(clone, series.patches, f"{clone} at {ref}", threeway=True, env={})
    except ForkpatchError:
        git("checkout", "-q", "-f", back, cwd=clone, check=False)
        git("branch", "-D", branch, cwd=clone, check=False)
        raise
    return branch
