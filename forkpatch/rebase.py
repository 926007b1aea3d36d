"""Moving a series to other releases: rebase (git am --3way, then export) and
outdated (which releases the compatibility table has not seen, and whether each
series still applies there, with git apply --check).

Both work in scratch trees under the build folder, removed afterwards; the
series folder changes only when a rebase succeeds.
"""

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from forkpatch import compat, sdist
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import COMMITTER, git, why_it_failed
from forkpatch.series import series_for, supported_lines
from forkpatch.tree import export, pristine_tree, store_objects

log = logging.getLogger(__name__)

#: A row of docs/compatibility.md: "| 4.2.30 | ...".
ROW_RE = re.compile(r"^\|\s*(\d+\.\d+[0-9a-z.]*)\s*\|", re.MULTILINE)


def covered(series):
    """The releases on the index that this series (and no other) covers, oldest first."""
    root = series.path.parent
    found = []
    for version in sorted(sdist.releases()):
        try:
            if series_for(version, root) == series:
                found.append(version)
        except ForkpatchError:
            continue
    return found


def _scratch(build, prefix):
    Path(build).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=build))


def rebase(build, series, version, source=None, out=None):
    """Apply series onto Django version with git am --3way; export on success.

    source: the release the series was made on (default: the newest it covers
    other than version); its files are given to git so that --3way can merge.
    On a conflict raise, naming the patch and the files; nothing is written.
    """
    if source is None:
        others = [v for v in covered(series) if v != version]
        source = others[-1] if others else None
    work = _scratch(build, f".rebase-{version}-")
    try:
        tree = pristine_tree(version, work)
        if source is not None and source != version:
            log.info(f"adding Django {source}'s files for the three-way merge")
            store_objects(tree, source, series.patches, work / "source")
        log.info(
            f"applying {len(series.patches)} patch(es) of {series.label} with --3way"
        )
        for patch in series.patches:
            result = git(
                "am", "--keep-non-patch", "--3way", str(patch.path),
                cwd=tree, env=COMMITTER, check=False,
            )  # fmt: skip
            if result.returncode:
                unmerged = git(
                    "diff", "--name-only", "--diff-filter=U", cwd=tree, check=False
                ).stdout.split()
                if unmerged:
                    where = f"conflicts in {', '.join(unmerged)}"
                else:
                    file, why = why_it_failed(result.stdout + result.stderr)
                    where = f"{file} ({why})" if file != "?" else why
                raise ForkpatchError(
                    f"{patch.name} does not go onto Django {version}: {where}; "
                    f"{series.label} is unchanged."
                )
        return export(tree, out or series.path, source=series)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def seen_versions(path):
    """The releases docs/compatibility.md has rows for (none if it does not exist)."""
    path = Path(path)
    if not path.is_file():
        return set()
    found = set()
    verified, _ = compat.split(path.read_text())
    for text in ROW_RE.findall(verified):
        try:
            found.add(Version(text))
        except InvalidVersion:
            continue
    return found


@dataclass
class Check:
    version: Version
    series: str  # its label, or "" when no series covers the release
    problem: str  # "" when the series applies


def check_applies(build, version, root):
    """Whether version's series applies to its sdist (git apply --check, in order)."""
    try:
        series = series_for(version, root)
    except ForkpatchError:
        return Check(version, "", "no series covers it")
    work = _scratch(build, f".outdated-{version}-")
    try:
        tree = pristine_tree(version, work)
        for patch in series.patches:
            result = git("apply", "--check", str(patch.path), cwd=tree, check=False)
            if result.returncode:
                file, why = why_it_failed(result.stdout + result.stderr)
                return Check(version, series.label, f"{patch.name}: {file} ({why})")
            git("apply", "--index", str(patch.path), cwd=tree)
        return Check(version, series.label, "")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def outdated(build, root, compatibility):
    """A Check for every release on the index that the compatibility file lacks,
    from the oldest line a series folder covers on (older ones are not the kit's)."""
    seen = seen_versions(compatibility)
    lines = supported_lines(root)
    oldest = Version(f"{lines[0][0]}.{lines[0][1]}a0") if lines else Version("0")
    missing = sorted(v for v in sdist.releases() if v not in seen and v >= oldest)
    return [check_applies(build, version, root) for version in missing]
