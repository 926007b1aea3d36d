"""Finding a Python interpreter that a Django release supports.

A release's supported Pythons are read from its own metadata (the sdist's PKG-INFO
classifiers). Candidates: FORKPATCH_PYTHON or --python (used as given), the Python
running forkpatch, ``python3.X`` on PATH, and pyenv's versions.
"""

import functools
import os
import re
import shutil
import sys
from pathlib import Path

from forkpatch import proc
from forkpatch.errors import ForkpatchError

CLASSIFIER_RE = re.compile(r"Programming Language :: Python :: (\d+)\.(\d+)\b")


def supported_pythons(tree):
    """The (major, minor) Python versions a Django tree declares, oldest first."""
    for name in ("PKG-INFO", "setup.cfg", "pyproject.toml"):
        path = Path(tree) / name
        if path.is_file():
            text = path.read_text(errors="replace")
            found = {(int(a), int(b)) for a, b in CLASSIFIER_RE.findall(text)}
            if found:
                return sorted(found)
    raise ForkpatchError(f"{tree} does not say which Python versions it supports.")


@functools.cache
def version_of(executable):
    """(major, minor) of an interpreter, or None if it does not run."""
    try:
        result = proc.run(
            [executable, "-c", "import sys; print(*sys.version_info[:2])"],
            what=f"{executable}",
            timeout=30,
        )
    except ForkpatchError:
        return None
    major, minor = result.stdout.split()
    return int(major), int(minor)


def pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    if shutil.which("pyenv"):
        result = proc.run(["pyenv", "root"], what="pyenv root", check=False)
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    return Path.home() / ".pyenv"


def candidates():
    """Interpreters found on this machine, in order of preference."""
    found = [Path(sys.executable)]
    for minor in range(8, 20):
        path = shutil.which(f"python3.{minor}")
        if path and "shims" not in Path(path).parts:
            found.append(Path(path))
    versions = pyenv_root() / "versions"
    if versions.is_dir():
        for entry in sorted(versions.iterdir()):
            if (entry / "bin" / "python").is_file():
                found.append(entry / "bin" / "python")
    unique = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def find_python(tree, override=None):
    """The interpreter to run a tree's tests with: the override, or one it supports.

    Preference: the running Python if the release supports it, otherwise the
    oldest supported version found (6.x needs >= 3.12: pyenv provides it here).
    """
    supported = supported_pythons(tree)
    wanted = ", ".join(f"{a}.{b}" for a, b in supported)
    override = override or os.environ.get("FORKPATCH_PYTHON")
    if override:
        path = shutil.which(override) or override
        version = version_of(path)
        if version is None:
            raise ForkpatchError(f"the Python {override!r} does not run.")
        if version not in supported:
            raise ForkpatchError(
                f"{override} is Python {version[0]}.{version[1]}, but this Django "
                f"supports {wanted}."
            )
        return Path(path)
    seen = []
    for path in candidates():
        version = version_of(path)
        if version:
            seen.append((version, path))
    running = version_of(sys.executable)
    if running in supported:
        return Path(sys.executable)
    usable = sorted((v, str(p)) for v, p in seen if v in supported)
    if usable:
        return Path(usable[0][1])
    looked = ", ".join(f"{p} ({v[0]}.{v[1]})" for v, p in seen) or "nothing"
    raise ForkpatchError(
        f"no Python {wanted} found (looked at: {looked}); install one "
        "(for example `pyenv install 3.12`) or pass --python PATH."
    )
