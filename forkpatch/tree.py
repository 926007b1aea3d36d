"""Patched Django source trees: checkout (sdist + git am) and export (back to patches/)."""

import ast
import filecmp
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from forkpatch import sdist
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import COMMITTER, PRISTINE_IDENTITY, git
from forkpatch.paths import build_dir
from forkpatch.series import parse_version, series_for

FAILED_FILE_RE = re.compile(
    r"^error: (?:patch failed: (?P<a>[^:\n]+):\d+|(?P<b>[^:\n]+): "
    r"(?:does not exist in index|already exists in (?:index|working directory)))",
    re.MULTILINE,
)


def default_dest(version):
    return build_dir() / "trees" / str(version)


def read_version(tree):
    """The Django version of a source tree, from django/__init__.py's VERSION."""
    init = Path(tree) / "django" / "__init__.py"
    if not init.is_file():
        raise ForkpatchError(
            f"{tree} is not a Django source tree (no django/__init__.py)."
        )
    for node in ast.parse(init.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", None) == "VERSION"
        ):
            major, minor, micro, level, serial = ast.literal_eval(node.value)
            text = f"{major}.{minor}" + (f".{micro}" if micro else "")
            if level != "final":
                text += {"alpha": "a", "beta": "b", "rc": "rc"}.get(level, ".dev")
                text += str(serial)
            return parse_version(text)
    raise ForkpatchError(f"{init} has no VERSION tuple.")


def _extract(archive, into):
    """Extract an sdist's single top-level folder into ``into``/tree."""
    with tarfile.open(archive) as tar:
        tops = {Path(m.name).parts[0] for m in tar.getmembers() if m.name.strip("/")}
        if len(tops) != 1:
            raise ForkpatchError(f"{archive.name} does not have one top-level folder.")
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(into, **kwargs)
    top = into / tops.pop()
    tree = into / "tree"
    top.rename(tree)
    return tree


def apply_patches(tree, patches, version, identity=None):
    """git am each patch; on failure abort and raise naming the patch and the file."""
    for patch in patches:
        proc = git(
            "am",
            # Keep "[4.2.x]"-style prefixes: only "[PATCH n/m]" is mail.
            "--keep-non-patch",
            "--committer-date-is-author-date",
            str(patch),
            cwd=tree,
            env=identity or COMMITTER,
            check=False,
        )
        if proc.returncode:
            output = proc.stdout + proc.stderr
            match = FAILED_FILE_RE.search(output)
            where = (match["a"] or match["b"]) if match else "see git am's output"
            git("am", "--abort", cwd=tree, check=False)
            raise ForkpatchError(
                f"{patch.name} does not apply to Django {version}: {where}."
            )


def checkout(version_text, dest=None, log=print):
    """Make the patched tree of a Django release at dest and return its path."""
    version = parse_version(version_text)
    series = series_for(version)
    dest = Path(dest) if dest else default_dest(version)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ForkpatchError(
            f"{dest} exists and is not empty; remove it or choose another --dest."
        )
    archive = sdist.fetch(version, log=log)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        log(f"extracting {archive.name}")
        tree = _extract(archive, work)
        git("init", "-q", cwd=tree)
        git("add", "-A", "-f", cwd=tree)
        git(
            "commit", "-q", "--no-verify", "-m",
            f"Django {version} (pristine sdist)\n\nsha256 of {archive.name}: "
            f"{sdist.sha256_of(archive)}",
            cwd=tree, env=PRISTINE_IDENTITY,
        )  # fmt: skip
        patches = series.patches
        log(f"applying {len(patches)} patch(es) from patches/{series.name}")
        apply_patches(tree, patches, version)
        git("config", "forkpatch.series", series.name, cwd=tree)
        git("config", "forkpatch.digest", series.digest(), cwd=tree)
        if dest.exists():
            dest.rmdir()
        tree.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def export(tree, out=None, log=print):
    """Write the tree's commits on top of the pristine sdist back to a series folder."""
    tree = Path(tree).resolve()
    if not (tree / ".git").exists():
        raise ForkpatchError(f"{tree} is not a git tree made by forkpatch checkout.")
    version = read_version(tree)
    out = Path(out) if out else series_for(version).path
    roots = git("rev-list", "--max-parents=0", "HEAD", cwd=tree).stdout.split()
    if len(roots) != 1:
        raise ForkpatchError(f"{tree} has {len(roots)} root commits; expected one.")
    if not git("rev-list", f"{roots[0]}..HEAD", cwd=tree).stdout.strip():
        raise ForkpatchError(f"{tree} has no commits on top of the pristine sdist.")
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=tree).stdout
    if dirty.strip():
        raise ForkpatchError(
            f"{tree} has uncommitted changes; commit them (or stash them) first."
        )
    with tempfile.TemporaryDirectory() as tmp:
        git(
            "format-patch", "--no-signature", "--zero-commit", "-o", tmp,
            f"{roots[0]}..HEAD", cwd=tree,
        )  # fmt: skip
        new = sorted(Path(tmp).glob("*.patch"))
        (Path(tmp) / "series").write_text("".join(f"{p.name}\n" for p in new))
        out.mkdir(parents=True, exist_ok=True)
        old = {p.name for p in out.glob("*.patch")}
        changed = [
            p.name
            for p in new
            if p.name not in old or not filecmp.cmp(p, out / p.name, shallow=False)
        ]
        removed = sorted(old - {p.name for p in new})
        for name in removed:
            (out / name).unlink()
        for path in [*new, Path(tmp) / "series"]:
            shutil.copyfile(path, out / path.name)
    log(
        f"exported {len(new)} patch(es) to {out}: {len(changed)} changed, "
        f"{len(removed)} removed"
    )
    return out
