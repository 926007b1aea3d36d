"""The trial run: the whole series applied to a scratch copy before PATH is touched.

In git, a temporary index of HEAD (as ``git am --3way`` would apply it); outside
git, copies of the files the series touches in a scratch folder.
"""

import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git, why_it_failed


def select_patches(target, series):
    """(patches to apply, patches skipped); only hunks under django/ for a package."""
    if target.full:
        return list(series.patches), []
    kept, skipped = [], []
    for patch in series.patches:
        changes = tuple(c for c in patch.changes if c.path.startswith("django/"))
        if changes:
            kept.append(replace(patch, changes=changes))
        else:
            skipped.append(patch)
    return kept, skipped


def _glob_escape(text):
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def apply_options(target, in_repo):
    """git apply / git am options: --directory in a repository, --include for a package."""
    prefix = f"{target.rel}/" if in_repo and target.rel else ""
    options = [f"--directory={target.rel}"] if prefix else []
    if not target.full:
        options.append(f"--include={_glob_escape(prefix)}django/*")
    return options


def failure(target, patch, output, reverse, prefix=""):
    """A one-line error naming the patch and the file that stopped it."""
    where, why = why_it_failed(output)
    if prefix and where.startswith(prefix):
        where = where[len(prefix) :]
    verb = "cannot be taken out of" if reverse else "does not apply to"
    return ForkpatchError(
        f"{patch.name} {verb} {target.shown} (Django {target.version}): "
        f"{where}: {why}; nothing was changed."
    )


def ordered(patches, reverse):
    return list(reversed(patches)) if reverse else list(patches)


def created(patches, reverse):
    """Files the series (or its reverse) creates, each with the patch that does."""
    found = {}
    for patch in ordered(patches, reverse):
        for path in patch.files("deleted" if reverse else "new"):
            found.setdefault(path, patch)
    return found


def simulate_in_index(target, patches, reverse):
    """Apply the series to a temporary index of HEAD, as git am --3way would.

    Returns (error or None, the patches that change something). With --3way a
    patch that is already in merges cleanly and changes nothing: such patches
    are left out of the second list.
    """
    options = apply_options(target, in_repo=True)
    prefix = f"{target.rel}/" if target.rel else ""
    changing = []
    with tempfile.TemporaryDirectory(prefix="forkpatch-vendor-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git("read-tree", "HEAD", cwd=target.top, env=env)
        tree = git("write-tree", cwd=target.top, env=env).stdout.strip()
        for patch in ordered(patches, reverse):
            proc = git(
                "apply", "--cached", "--3way", *(["--reverse"] if reverse else []),
                *options, str(patch.path), cwd=target.top, env=env, check=False,
            )  # fmt: skip
            if proc.returncode:
                output = proc.stdout + proc.stderr
                return failure(target, patch, output, reverse, prefix), changing
            after = git("write-tree", cwd=target.top, env=env).stdout.strip()
            if after != tree:
                changing.append(patch)
            tree = after
    return None, changing


def simulate_in_folder(target, patches, reverse, scratch):
    """Apply the series to copies of the files it touches in scratch (a new folder)."""
    git("init", "-q", cwd=scratch)
    touched = sorted({c.path for p in patches for c in p.changes})
    for rel in touched:
        source = target.path / rel
        if source.is_file():
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / rel)
    options = apply_options(target, in_repo=False)
    for patch in ordered(patches, reverse):
        proc = git(
            "apply", *(["--reverse"] if reverse else []), *options, str(patch.path),
            cwd=scratch, check=False,
        )  # fmt: skip
        if proc.returncode:
            return failure(target, patch, proc.stdout + proc.stderr, reverse)
    return None
