"""forkpatch vendor: apply a release line's patch series to a vendored Django.

PATH is the folder that holds the ``django`` package, as projects vendor it
(``myproject/vendor`` holding ``django/``), or a Django checkout (``django/``,
``tests/`` and ``docs/`` at its top). The release is read from
``django/__init__.py`` and picks the series.

- ``target``: recognising PATH (its release, a full checkout or the package only,
  its git repository);
- ``trial``: the whole series applied to a scratch copy first (all or nothing);
- ``gitapply``: PATH tracked by git: ``git am --3way``, or revert commits;
- ``folder``: PATH outside git: the files changed in place.

A series that is already in (it comes out cleanly in reverse) is reported and
left alone.
"""

import logging

from forkpatch.vendor import folder, gitapply, trial
from forkpatch.vendor.target import Target, inspect_target

__all__ = ["Target", "inspect_target", "run"]

log = logging.getLogger(__name__)


def run(target, series, check=False, reverse=False):
    """Apply (or take out) the series; return the line that says what happened."""
    patches, skipped = trial.select_patches(target, series)
    log.info(f"{target.shown}: Django {target.version}, {target.kind}")
    if not target.full:
        log.info(
            "only the hunks under django/ go in; the series' changes to tests/ and "
            "docs/ are left out (no tests/runtests.py here)"
        )
    for patch in skipped:
        log.info(f"skipping {patch.name}: it changes nothing under django/")
    if not patches:
        return f"{series.label} changes nothing in {target.shown}; nothing to do."
    if target.top:
        check_in_git = _in_git(target, series, patches, reverse, check)
        if isinstance(check_in_git, str):
            return check_in_git
        patches, how = check_in_git
    else:
        if target.untracked_in:
            log.info(
                f"{target.shown} is not tracked by the git repository at "
                f"{target.untracked_in}: changing the files, no commits"
            )
        if folder.apply_in_folder(target, patches, reverse, check) == "already":
            return _already(target, series, reverse)
        how = "in place (not in git: no commits)"
    return _done(target, series, patches, reverse, check, how)


def _in_git(target, series, patches, reverse, check):
    """Trial-run in a temporary index, then git am (or revert): (patches, how)."""
    gitapply.check_repository(target)
    error, changing = trial.simulate_in_index(target, patches, reverse)
    if error is None and not changing:
        return _already(target, series, reverse)
    if error is not None:
        back_error, _ = trial.simulate_in_index(target, patches, not reverse)
        if back_error is None:
            return _already(target, series, reverse)
        raise error
    for patch in trial.ordered(patches, reverse):
        if patch not in changing:
            state = "not in" if reverse else "already in"
            log.info(f"skipping {patch.name}: it is {state} {target.shown}")
    if reverse:
        changing.reverse()  # Back to series order.
    gitapply.check_untracked(target, changing, reverse)
    options = " ".join(trial.apply_options(target, in_repo=True))
    if reverse:
        how = f"with git apply --reverse --3way {options}".rstrip()
        how += f", as {_count(len(changing), 'new revert commit')} in {target.top}"
    else:
        how = f"with git am --3way {options}".rstrip()
        how += f", as {_count(len(changing), 'new commit')} in {target.top}"
    if not check:
        gitapply.apply_in_git(target, changing, reverse, series)
    return changing, how


def _done(target, series, patches, reverse, check, how):
    total = len(series.patches)
    count = f"{len(patches)} of {total} patches"
    if len(patches) == total:
        count = _count(total, "patch", "patches")
    direction = "from" if reverse else "to"
    if check:
        verb = "take out" if reverse else "apply"
        names = ", ".join(p.name for p in trial.ordered(patches, reverse))
        return (
            f"would {verb} {series.label} ({count}: {names}) {direction} "
            f"{target.shown} {how}; nothing was changed (--check)."
        )
    done = "took out" if reverse else "applied"
    return f"{done} {series.label} ({count}) {direction} {target.shown} {how}."


def _count(number, word, plural=None):
    return f"{number} {word if number == 1 else plural or word + 's'}"


def _already(target, series, reverse):
    if reverse:
        return (
            f"{series.label} is not applied to {target.shown}; nothing to take "
            "out, nothing was changed."
        )
    return (
        f"{series.label} is already applied to {target.shown}; nothing to do, "
        "nothing was changed."
    )
