"""Patched Django source trees: checkout (sdist + git am) and export (back to a series)."""

import ast
import filecmp
import logging
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from packaging.version import Version

from forkpatch import sdist
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import COMMITTER, PRISTINE_IDENTITY, git, why_it_failed

log = logging.getLogger(__name__)

#: Author e-mail addresses that are no one's: a series is not sent upstream with them.
PLACEHOLDER_EMAIL_RE = re.compile(r"@(example\.com|localhost)$", re.IGNORECASE)

#: The "[PATCH n/m]" counter, which changes in every patch when one is added.
COUNTER_RE = re.compile(rb"^Subject: \[PATCH \d+/\d+\]", re.MULTILINE)

LEVELS = {"alpha": "a", "beta": "b", "rc": "rc"}


def default_dest(build, version):
    return Path(build) / "trees" / str(version)


def read_version(tree):
    """The Django version of a source tree, from django/__init__.py's VERSION.

    As Django's get_version() reads it: (6, 2, 0, "alpha", 0) is 6.2.dev0 (the
    main branch), (6, 2, 0, "alpha", 1) is 6.2a1.
    """
    init = Path(tree) / "django" / "__init__.py"
    if not init.is_file():
        raise ForkpatchError(
            f"{tree} is not a Django source tree (no django/__init__.py)."
        )
    return version_from_source(init.read_text(), init)


def version_from_source(text, where):
    for node in ast.parse(text).body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", None) == "VERSION"
        ):
            major, minor, micro, level, serial = ast.literal_eval(node.value)
            version = f"{major}.{minor}" + (f".{micro}" if micro else "")
            if level == "alpha" and serial == 0:
                version += ".dev0"
            elif level != "final":
                version += f"{LEVELS[level]}{serial}"
            return Version(version)
    raise ForkpatchError(f"{where} has no VERSION tuple.")


def _extract(archive, into):
    """Extract an sdist's single top-level folder into ``into``/tree."""
    try:
        with tarfile.open(archive) as tar:
            names = [m.name for m in tar.getmembers() if m.name.strip("/")]
            tops = {Path(name).parts[0] for name in names}
            if len(tops) != 1:
                raise ForkpatchError(
                    f"{archive.name} does not have one top-level folder."
                )
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(into, **kwargs)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ForkpatchError(f"{archive} is not a readable sdist ({exc}).")
    tree = into / "tree"
    (into / tops.pop()).rename(tree)
    return tree


def apply_patches(tree, patches, target, threeway=False, env=COMMITTER):
    """git am each patch; on failure abort and raise naming the patch and the file."""
    for patch in patches:
        proc = git(
            "am",
            # Keep "[4.2.x]"-style prefixes: only "[PATCH n/m]" is mail.
            "--keep-non-patch",
            *(["--3way"] if threeway else ["--committer-date-is-author-date"]),
            str(patch.path),
            cwd=tree,
            env=env,
            check=False,
        )
        if proc.returncode:
            where, _ = why_it_failed(proc.stdout + proc.stderr)
            git("am", "--abort", cwd=tree, check=False)
            if where == "?":
                where = "see git am's output"
            raise ForkpatchError(f"{patch.name} does not apply to {target}: {where}.")


def pristine_tree(version, work):
    """work/tree: a new git repository whose one commit is Django version's sdist."""
    archive = sdist.fetch(version)
    log.info(f"extracting {archive.name}")
    tree = _extract(archive, Path(work))
    git("init", "-q", cwd=tree)
    git("add", "-A", "-f", cwd=tree)
    git(
        "commit", "-q", "--no-verify", "-m",
        f"Django {version} (pristine sdist)\n\nsha256 of {archive.name}: "
        f"{sdist.sha256_of(archive)}",
        cwd=tree, env=PRISTINE_IDENTITY,
    )  # fmt: skip
    return tree


def store_objects(tree, version, patches, work):
    """Write the files of Django version's sdist, and of each patch applied to it in
    turn, into tree's object database (no commit, no ref): the blobs that
    git am --3way needs to merge patches made on that release."""
    source = _extract(sdist.fetch(version), Path(work))
    env = {"GIT_INDEX_FILE": str(Path(work) / "index")}
    git("--work-tree", str(source), "add", "-A", "-f", cwd=tree, env=env)
    shutil.rmtree(source, ignore_errors=True)
    for patch in patches:
        applied = git(
            "apply", "--cached", str(patch.path), cwd=tree, env=env, check=False
        )
        if applied.returncode:
            log.info(f"{patch.name} does not apply to Django {version} either")
            break


def checkout(version, series, dest):
    """Make the patched tree of a Django release at dest and return its path."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ForkpatchError(
            f"{dest} exists and is not empty; remove it or choose another --dest."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        tree = pristine_tree(version, work)
        log.info(f"applying {len(series.patches)} patch(es) from {series.label}")
        apply_patches(tree, series.patches, f"Django {version}")
        git("config", "forkpatch.series", series.name, cwd=tree)
        git("config", "forkpatch.digest", series.digest(), cwd=tree)
        if dest.exists():
            dest.rmdir()
        tree.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def pristine_root(tree):
    """The tree's one root commit (the pristine sdist), checking it has work on top."""
    tree = Path(tree)
    if not (tree / ".git").exists():
        raise ForkpatchError(f"{tree} is not a git tree made by forkpatch checkout.")
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
    return roots[0]


def warn_placeholder_authors(tree, root):
    """One line for each commit whose author e-mail is nobody's (example.com)."""
    authors = git(
        "log", "--reverse", "--format=%h%x00%an <%ae>%x00%ae", f"{root}..HEAD", cwd=tree
    ).stdout.splitlines()
    for line in authors:
        sha, who, email = line.split("\0")
        if PLACEHOLDER_EMAIL_RE.search(email):
            log.warning(
                f"commit {sha} is authored by {who}, a placeholder address: set "
                "your own (git commit --amend --reset-author) before sending the "
                "series upstream"
            )


def _same_but_counter(new, old):
    """Whether two patch files differ at most in their "[PATCH n/m]" counter."""
    strip = lambda data: COUNTER_RE.sub(b"Subject: [PATCH]", data)  # noqa: E731
    return strip(new.read_bytes()) == strip(old.read_bytes())


def export(tree, out, source=None):
    """Write the tree's commits on top of the pristine sdist to the series folder out.

    A patch whose only change is its "[PATCH n/m]" counter is left as it was.
    source: the series the tree came from; its local-version file is copied to a
    new folder out.
    """
    tree = Path(tree).resolve()
    out = Path(out)
    root = pristine_root(tree)
    warn_placeholder_authors(tree, root)
    with tempfile.TemporaryDirectory() as tmp:
        git(
            "format-patch", "--no-signature", "--zero-commit", "-o", tmp,
            f"{root}..HEAD", cwd=tree,
        )  # fmt: skip
        made = sorted(Path(tmp).glob("*.patch"))
        (Path(tmp) / "series").write_text("".join(f"{p.name}\n" for p in made))
        out.mkdir(parents=True, exist_ok=True)
        old = {p.name for p in out.glob("*.patch")}
        status = {}
        for patch in made:
            kept = out / patch.name
            if patch.name not in old:
                status[patch.name] = "new"
            elif filecmp.cmp(patch, kept, shallow=False) or _same_but_counter(
                patch, kept
            ):
                continue
            else:
                status[patch.name] = "changed"
            shutil.copyfile(patch, kept)
        for name in sorted(old - {p.name for p in made}):
            (out / name).unlink()
            status[name] = "removed"
        shutil.copyfile(Path(tmp) / "series", out / "series")
    for name, what in status.items():
        log.info(f"{what:<8} {name}")
    counts = [list(status.values()).count(w) for w in ("new", "changed", "removed")]
    log.info(
        f"exported {len(made)} patch(es) to {out}: {counts[0]} new, {counts[1]} "
        f"changed, {counts[2]} removed"
    )
    local = out / "local-version"
    if source is not None and not local.exists():
        if (source.path / "local-version").is_file():
            shutil.copyfile(source.path / "local-version", local)
            log.info(f"copied {source.label}/local-version to {out}")
    if status and local.is_file():
        label = local.read_text().strip()
        log.info(
            f"the series changed: bump {local} (now {label}) so wheels built from "
            "it get a new local version"
        )
    return out
