"""forkpatch vendor: apply a release line's patch series to a vendored Django.

PATH is the folder that holds the ``django`` package, as projects vendor it
(``myproject/vendor`` holding ``django/``), or a Django checkout (``django/``,
``tests/`` and ``docs/`` at its top). The release is read from
``django/__init__.py`` and picks the series.

What goes in:

- a full checkout (PATH has ``tests/runtests.py``): the whole series;
- the django package only: the hunks under ``django/``; the series' changes to
  ``tests/`` and ``docs/`` are left out (such a copy has neither), and a patch
  that changes nothing under ``django/`` is skipped.

How it goes in:

- PATH's files are tracked by git (PATH may be a subfolder of a bigger project's
  repository): ``git am --3way``, with ``--directory=<PATH from the repository
  top>`` and, for the package only, ``--include=<PATH>/django/*``: one commit per
  patch, with the patch's author and message. ``--reverse`` adds one new commit
  per patch, newest first, named ``Revert "<subject>"``: history is never
  rewritten.
- otherwise PATH's files are changed in place (``git apply``), no commits.

All or nothing: the whole series is first applied to a scratch copy (a temporary
git index, or a temporary folder), and PATH is touched only when every patch goes
in. A series that is already in (it comes out cleanly in reverse) is reported and
left alone.
"""

import email.parser
import email.policy
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.series import Series, series_for
from forkpatch.tree import read_version

HELP = "apply the release's patch series to a vendored Django (or a Django checkout)"

DESCRIPTION = """\
Apply the patch series of PATH's Django release to PATH, the folder that holds
the django package: a project's vendor folder (myproject/vendor with django/ in
it) or a Django checkout (django/, tests/, docs/ at its top). The release is read
from django/__init__.py.

What goes in:
  - a full Django checkout (PATH has tests/runtests.py): the whole series;
  - the django package only: only the hunks under django/. The series' tests and
    docs are left out, and a patch that changes nothing under django/ is skipped;
    the output says so.

How:
  - PATH's files are tracked by git (PATH may be a subfolder of your project's
    repository): git am --3way --directory=<PATH from the repository top>
    [--include=<PATH>/django/*], one commit per patch with the patch's author
    and message. Your working tree under PATH must be clean and the index must
    have nothing staged.
  - otherwise: the files under PATH are changed in place (git apply), no commits.

All or nothing: every patch is first applied to a scratch copy (a temporary git
index, or a temporary folder); PATH is touched only if the whole series goes in.
On a conflict, uncommitted changes, or a folder that is not a supported Django,
it stops with a one-line message naming the patch and the file, and every file
is as it was. A series that is already applied is reported and left alone.

--reverse takes the series out again: in git as new commits, one per patch,
newest first (Revert "<subject>"), so history is never rewritten; elsewhere by
changing the files back.
"""

EPILOG = """\
examples:
  forkpatch vendor myproject/vendor --check   say what would happen
  forkpatch vendor myproject/vendor           apply (commits if in git)
  forkpatch vendor myproject/vendor --reverse take the series out again
"""

DIFF_RE = re.compile(r"^diff --git a/(\S+) b/(\S+)$")
#: What git apply / git am say about the file that stopped them, most telling first.
FAILURES = [
    (
        re.compile(
            r"^(?:Applied patch to '(?P<file>[^']+)' with conflicts\."
            r"|CONFLICT \([^)]*\): Merge conflict in (?P<merge>.+))$",
            re.MULTILINE,
        ),
        "conflicting changes",
    ),
    (
        re.compile(r"^error: patch failed: (?P<file>.+?):\d+$", re.MULTILINE),
        "its context does not match",
    ),
    (re.compile(r"^error: (?P<file>[^:\n]+): (?P<why>.+)$", re.MULTILINE), None),
]


@dataclass(frozen=True)
class FileChange:
    path: str  # from the Django tree's top, e.g. django/db/models/query.py
    status: str  # "new", "deleted" or "modified"


@dataclass(frozen=True)
class Patch:
    path: Path
    subject: str
    changes: tuple

    @property
    def name(self):
        return self.path.name

    def files(self, status):
        return [c.path for c in self.changes if c.status == status]


def read_patch(path):
    """A format-patch file's subject and the files it changes."""
    path = Path(path)
    text = path.read_text(errors="replace")
    header = email.parser.Parser(policy=email.policy.default).parsestr(
        text.partition("\n\n")[0] + "\n\n", headersonly=True
    )
    subject = re.sub(r"^\[PATCH[^\]]*\]\s*", "", str(header["Subject"] or path.name))
    changes = []
    blocks = re.split(r"^(?=diff --git )", text, flags=re.MULTILINE)[1:]
    for block in blocks:
        lines = block.splitlines()
        match = DIFF_RE.match(lines[0])
        if not match:
            raise ForkpatchError(
                f"{path.name}: cannot read the diff line {lines[0]!r}."
            )
        status = "modified"
        for line in lines[1:]:
            if line.startswith(("--- ", "@@", "GIT binary patch", "Binary files")):
                break
            if line.startswith("new file mode"):
                status = "new"
            elif line.startswith("deleted file mode"):
                status = "deleted"
        changes.append(
            FileChange(match[2] if status != "deleted" else match[1], status)
        )
    return Patch(path, subject, tuple(changes))


@dataclass(frozen=True)
class Target:
    """What PATH is: its Django release, series, kind, and git repository if any."""

    path: Path  # resolved
    shown: str  # as the user wrote it
    version: Version
    series: Series
    full: bool  # a full Django checkout (else: the django package only)
    top: Path | None = None  # the git work tree, when PATH's files are tracked
    rel: str = ""  # PATH from top ("" at the top)
    untracked_in: Path | None = None  # a work tree that does not track PATH

    @property
    def kind(self):
        if self.full:
            return "a full Django checkout"
        return "the django package only"

    @property
    def series_label(self):
        return f"patches/{self.series.name}"


def _glob_escape(text):
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def inspect_target(path_text):
    """Recognise PATH, or raise a one-line ForkpatchError saying what is wrong."""
    shown = str(path_text)
    path = Path(path_text)
    if not path.exists():
        raise ForkpatchError(f"{shown} does not exist.")
    if not path.is_dir():
        raise ForkpatchError(
            f"{shown} is not a folder; give the folder that holds the django package."
        )
    path = path.resolve()
    init = path / "django" / "__init__.py"
    if not init.is_file():
        if path.name == "django" and (path / "__init__.py").is_file():
            raise ForkpatchError(
                f"{shown} is the django package itself; give the folder that holds "
                f"it: {Path(shown).parent}"
            )
        raise ForkpatchError(
            f"{shown} does not hold a django package (no django/__init__.py); give "
            "the folder that contains django/."
        )
    try:
        version = read_version(path)
    except (SyntaxError, ValueError, TypeError, UnicodeDecodeError):
        raise ForkpatchError(
            f"{shown}/django/__init__.py has no readable VERSION tuple; is it Django?"
        )
    series = series_for(version)
    full = (path / "tests" / "runtests.py").is_file()
    target = Target(path, shown, version, series, full)
    proc = git("rev-parse", "--show-toplevel", cwd=path, check=False)
    if proc.returncode:
        return target
    top = Path(proc.stdout.strip()).resolve()
    tracked = git("ls-files", "--", "django/__init__.py", cwd=path).stdout.strip()
    if not tracked:
        return replace(target, untracked_in=top)
    rel = path.relative_to(top).as_posix()
    return replace(target, top=top, rel="" if rel == "." else rel)


def select_patches(target):
    """(patches to apply, patches skipped); only hunks under django/ for a package."""
    patches = [read_patch(p) for p in target.series.patches]
    if target.full:
        return patches, []
    kept, skipped = [], []
    for patch in patches:
        changes = tuple(c for c in patch.changes if c.path.startswith("django/"))
        if changes:
            kept.append(replace(patch, changes=changes))
        else:
            skipped.append(patch)
    return kept, skipped


def apply_options(target, in_repo):
    """git apply / git am options: --directory in a repository, --include for a package."""
    prefix = f"{target.rel}/" if in_repo and target.rel else ""
    options = [f"--directory={target.rel}"] if prefix else []
    if not target.full:
        options.append(f"--include={_glob_escape(prefix)}django/*")
    return options


def _failure(target, patch, proc, reverse, prefix=""):
    """A one-line error naming the patch and the file that stopped it."""
    output = proc.stdout + proc.stderr
    for regex, why in FAILURES:
        match = regex.search(output)
        if match:
            where = match["file"] or match.groupdict().get("merge")
            why = why or match["why"].rstrip(".")
            break
    else:
        lines = [line for line in output.splitlines() if line.strip()]
        where, why = "?", lines[-1] if lines else "git apply failed"
    if prefix and where.startswith(prefix):
        where = where[len(prefix) :]
    verb = "cannot be taken out of" if reverse else "does not apply to"
    return ForkpatchError(
        f"{patch.name} {verb} {target.shown} (Django {target.version}): "
        f"{where}: {why}; nothing was changed."
    )


def _ordered(patches, reverse):
    return list(reversed(patches)) if reverse else list(patches)


def _created(patches, reverse):
    """Files the series (or its reverse) creates, each with the patch that does."""
    created = {}
    for patch in _ordered(patches, reverse):
        for path in patch.files("deleted" if reverse else "new"):
            created.setdefault(path, patch)
    return created


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
        for patch in _ordered(patches, reverse):
            proc = git(
                "apply", "--cached", "--3way", *(["--reverse"] if reverse else []),
                *options, str(patch.path), cwd=target.top, env=env, check=False,
            )  # fmt: skip
            if proc.returncode:
                return _failure(target, patch, proc, reverse, prefix), changing
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
    for patch in _ordered(patches, reverse):
        proc = git(
            "apply", *(["--reverse"] if reverse else []), *options, str(patch.path),
            cwd=scratch, check=False,
        )  # fmt: skip
        if proc.returncode:
            return _failure(target, patch, proc, reverse)
    return None


def _copy_back(target, patches, scratch):
    """Make PATH's touched files what they are in scratch (written, or removed)."""
    for rel in sorted({c.path for p in patches for c in p.changes}):
        source, dest = scratch / rel, target.path / rel
        if source.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            shutil.copymode(source, dest)
        elif dest.is_file():
            dest.unlink()
            parent = dest.parent
            while parent != target.path and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent


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
    for path, patch in _created(patches, reverse).items():
        if (target.path / path).exists():
            raise ForkpatchError(
                f"{patch.name} creates {path}, which already exists in "
                f"{target.shown} (untracked); move it away first; nothing was changed."
            )


def _restore(top, head):
    """Back to the original commit after an unexpected failure of git itself."""
    git("reset", "-q", "--merge", head, cwd=top, check=False)


def apply_in_git(target, patches, reverse):
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
            failed = re.search(
                r"^Patch failed at (\d+)", proc.stdout + proc.stderr, re.M
            )
            git("am", "--abort", cwd=top, check=False)
            _restore(top, head)
            index = int(failed[1]) - 1 if failed else 0
            patch = patches[min(index, len(patches) - 1)]
            raise _failure(target, patch, proc, reverse, prefix)
        return
    for patch in reversed(patches):
        proc = git(
            "apply", "--index", "--3way", "--reverse", *options, str(patch.path),
            cwd=top, check=False,
        )  # fmt: skip
        if proc.returncode:
            _restore(top, head)
            raise _failure(target, patch, proc, reverse, prefix)
        message = (
            f'Revert "{patch.subject}"\n\n'
            f"Took out {patch.name} of the {target.series_label} series "
            "(forkpatch vendor --reverse)."
        )
        proc = git("commit", "-q", "--no-verify", "-m", message, cwd=top, check=False)
        if proc.returncode:
            _restore(top, head)
            last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise ForkpatchError(
                f"git commit failed in {top} ({last[-1] if last else 'no output'}); "
                "nothing was changed."
            )


def run(path_text, check=False, reverse=False, log=print):
    """Apply (or take out) the series; return the line that says what happened."""
    target = inspect_target(path_text)
    patches, skipped = select_patches(target)
    log(f"{target.shown}: Django {target.version}, {target.kind}")
    if not target.full:
        log(
            "only the hunks under django/ go in; the series' changes to tests/ and "
            "docs/ are left out (no tests/runtests.py here)"
        )
    for patch in skipped:
        log(f"skipping {patch.name}: it changes nothing under django/")
    label = target.series_label
    if not patches:
        return f"{label} changes nothing in {target.shown}; nothing to do."
    if target.top:
        check_repository(target)
        error, changing = simulate_in_index(target, patches, reverse)
        if error is None and not changing:
            return _already(target, reverse)
        if error is not None:
            back_error, _ = simulate_in_index(target, patches, not reverse)
            if back_error is None:
                return _already(target, reverse)
            raise error
        for patch in _ordered(patches, reverse):
            if patch not in changing:
                state = "not in" if reverse else "already in"
                log(f"skipping {patch.name}: it is {state} {target.shown}")
        if reverse:
            changing.reverse()  # Back to series order.
        check_untracked(target, changing, reverse)
        patches = changing
        options = " ".join(apply_options(target, in_repo=True))
        if reverse:
            how = f"with git apply --reverse --3way {options}".rstrip()
            how += f", as {_count(len(patches), 'new revert commit')} in {target.top}"
        else:
            how = f"with git am --3way {options}".rstrip()
            how += f", as {_count(len(patches), 'new commit')} in {target.top}"
        if not check:
            apply_in_git(target, patches, reverse)
    else:
        if target.untracked_in:
            log(
                f"{target.shown} is not tracked by the git repository at "
                f"{target.untracked_in}: changing the files, no commits"
            )
        with tempfile.TemporaryDirectory(prefix="forkpatch-vendor-") as tmp:
            scratch = Path(tmp) / "forward"
            scratch.mkdir()
            error = simulate_in_folder(target, patches, reverse, scratch)
            if error is not None:
                back = Path(tmp) / "back"
                back.mkdir()
                if simulate_in_folder(target, patches, not reverse, back) is None:
                    return _already(target, reverse)
                raise error
            if not check:
                _copy_back(target, patches, scratch)
        how = "in place (not in git: no commits)"
    total = len(target.series.patches)
    count = f"{len(patches)} of {total} patches"
    if len(patches) == total:
        count = _count(total, "patch", "patches")
    verb = "take out" if reverse else "apply"
    done = "took out" if reverse else "applied"
    if check:
        names = ", ".join(p.name for p in _ordered(patches, reverse))
        return (
            f"would {verb} {label} ({count}: {names}) "
            f"{'from' if reverse else 'to'} {target.shown} {how}; "
            "nothing was changed (--check)."
        )
    return (
        f"{done} {label} ({count}) {'from' if reverse else 'to'} {target.shown} {how}."
    )


def _count(number, word, plural=None):
    return f"{number} {word if number == 1 else plural or word + 's'}"


def _already(target, reverse):
    if reverse:
        return (
            f"{target.series_label} is not applied to {target.shown}; nothing to take "
            "out, nothing was changed."
        )
    return (
        f"{target.series_label} is already applied to {target.shown}; nothing to do, "
        "nothing was changed."
    )


def cmd_vendor(args):
    from forkpatch.cli import log

    print(run(args.path, check=args.check, reverse=args.reverse, log=log))
    return 0


def add_parser(subparsers):
    import argparse

    p = subparsers.add_parser(
        "vendor",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "path",
        metavar="PATH",
        help="the folder that holds django/ (a vendor folder or a Django checkout)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="say what would happen (or what stops it); change nothing",
    )
    p.add_argument(
        "--reverse",
        action="store_true",
        help="take the series out again (in git: new revert commits)",
    )
    p.set_defaults(func=cmd_vendor)
    return p
