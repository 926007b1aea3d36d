"""Recognising PATH: its Django release, what kind of copy it is, and its git repository."""

from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.tree import read_version


@dataclass(frozen=True)
class Target:
    """What PATH is: its Django release, kind, and git repository if any."""

    path: Path  # resolved
    shown: str  # as the user wrote it
    version: Version
    full: bool  # a full Django checkout (else: the django package only)
    top: Path | None = None  # the git work tree, when PATH's files are tracked
    rel: str = ""  # PATH from top ("" at the top)
    untracked_in: Path | None = None  # a work tree that does not track PATH

    @property
    def kind(self):
        if self.full:
            return "a full Django checkout"
        return "the django package only"


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
    except (SyntaxError, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ForkpatchError(
            f"{shown}/django/__init__.py has no readable VERSION tuple; is it Django?"
        )
    full = (path / "tests" / "runtests.py").is_file()
    target = Target(path, shown, version, full)
    proc = git("rev-parse", "--show-toplevel", cwd=path, check=False)
    if proc.returncode:
        return target
    top = Path(proc.stdout.strip()).resolve()
    tracked = git("ls-files", "--", "django/__init__.py", cwd=path).stdout.strip()
    if not tracked:
        return replace(target, untracked_in=top)
    rel = path.relative_to(top).as_posix()
    return replace(target, top=top, rel="" if rel == "." else rel)
