"""The git apply: PATH's files are tracked, so the series goes in as commits.

Forward: ``git am --3way`` (one commit per patch, with the patch's author and
message). Reverse: ``git apply --reverse --3way`` and one new revert commit per
patch, newest first. Either way, an unexpected failure puts the repository back.
"""

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import failed_patch_index, git
from forkpatch.proc import last_line
from forkpatch.vendor.trial import apply_options, created, failure


def check_repository(target):
    """Refuse a repository that git am (or our revert commits) would trip on."""
    top = target.top
    if git("rev-parse", "--verify", "-q", "HEAD", cwd=top, check=False).returncode:
        raise ForkpatchError(
            f"the git repository at {top} has no commits yet; commit {target.shown} "
            "first."
        )
    for name in ("rebase-apply", "rebase-merge"):
        where = git("rev-parse", "--git-path", name, cwd=top).stdout.strip()
        if (top / where).exists():
            raise ForkpatchError(
                f"a git am or rebase is in progress in {top}; finish it "
                "(or --abort it) first; nothing was changed."
            )
    dirty = git(
        "status", "--porcelain=v1", "--untracked-files=no", "--", ".", cwd=target.path
    ).stdout.splitlines()
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise ForkpatchError(
            f"{target.shown} has uncommitted changes ({dirty[0][3:]}{more}); commit "
            "or stash them first; nothing was changed."
        )
    staged = git("diff", "--cached", "--name-only", cwd=top).stdout.splitlines()
    if staged:
        raise ForkpatchError(
            f"the index of {top} has staged changes ({staged[0]}); commit or unstage "
            "them first; nothing was changed."
        )
    if git("var", "GIT_COMMITTER_IDENT", cwd=top, check=False).returncode:
        raise ForkpatchError(
            f"git does not know who you are in {top}: set user.name and user.email "
            "(git config user.email you@example.com); nothing was changed."
        )


def check_untracked(target, patches, reverse):
    """A file the series creates must not be lying there untracked."""
    for path, patch in created(patches, reverse).items():
        if (target.path / path).exists():
            raise ForkpatchError(
                f"{patch.name} creates {path}, which already exists in "
                f"{target.shown} (untracked); move it away first; nothing was changed."
            )


def _restore(top, head):
    """Back to the original commit after an unexpected failure of git itself."""
    git("reset", "-q", "--merge", head, cwd=top, check=False)


def apply_in_git(target, patches, reverse, series):
    top = target.top
    head = git("rev-parse", "HEAD", cwd=top).stdout.strip()
    options = apply_options(target, in_repo=True)
    prefix = f"{target.rel}/" if target.rel else ""
    if not reverse:
        proc = git(
            "am", "--3way", "--keep-non-patch", *options,
            *[str(p.path) for p in patches],
            cwd=top, check=False,
        )  # fmt: skip
        if proc.returncode:
            output = proc.stdout + proc.stderr
            git("am", "--abort", cwd=top, check=False)
            _restore(top, head)
            patch = patches[min(failed_patch_index(output), len(patches) - 1)]
            raise failure(target, patch, output, reverse, prefix)
        return
    for patch in reversed(patches):
        proc = git(
            "apply", "--index", "--3way", "--reverse", *options, str(patch.path),
            cwd=top, check=False,
        )  # fmt: skip
        if proc.returncode:
            _restore(top, head)
            raise failure(target, patch, proc.stdout + proc.stderr, reverse, prefix)
        message = (
            f'Revert "{patch.subject}"\n\n'
            f"Took out {patch.name} of the {series.label} series "
            "(forkpatch vendor --reverse)."
        )
        proc = git("commit", "-q", "--no-verify", "-m", message, cwd=top, check=False)
        if proc.returncode:
            _restore(top, head)
            raise ForkpatchError(
                f"git commit failed in {top} ({last_line(proc.stderr or proc.stdout)}); "
                "nothing was changed."
            )
