"""Where the kit keeps things: the patch series, build trees and the sdist cache.

The series ship inside the package (``forkpatch/patches``, copied there when the
kit's wheel is built) and are read with importlib.resources. Run from the kit's
own checkout (an editable install), the repository's ``patches/`` is used.
"""

import atexit
import contextlib
import importlib.resources
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

#: The kit's checkout when forkpatch runs from one (``pip install -e .``), else None.
CHECKOUT = (
    PACKAGE.parent
    if (PACKAGE.parent / "setup.py").is_file() and (PACKAGE.parent / "patches").is_dir()
    else None
)

_resources = contextlib.ExitStack()
atexit.register(_resources.close)


def shipped_patches():
    """The series that came with forkpatch, and where they came from."""
    shipped = importlib.resources.files("forkpatch") / "patches"
    if shipped.is_dir():
        path = _resources.enter_context(importlib.resources.as_file(shipped))
        return Path(path), "shipped with forkpatch"
    if CHECKOUT is not None:
        return CHECKOUT / "patches", "the kit's checkout"
    return Path(shipped), "shipped with forkpatch (missing)"


def patches_dir(override=None):
    """(folder of series, where the choice came from): --patches, env, shipped."""
    if override:
        return Path(override).resolve(), "--patches"
    if os.environ.get("FORKPATCH_PATCHES"):
        return Path(os.environ["FORKPATCH_PATCHES"]).resolve(), "FORKPATCH_PATCHES"
    return shipped_patches()


def build_dir():
    """Folder for trees, virtual environments and wheels: FORKPATCH_BUILD, the
    kit checkout's build/, or build/ in the current folder."""
    if os.environ.get("FORKPATCH_BUILD"):
        return Path(os.environ["FORKPATCH_BUILD"])
    return (CHECKOUT or Path.cwd()) / "build"


def cache_dir():
    """Downloaded sdists, shared by every checkout of the kit on this machine."""
    if os.environ.get("FORKPATCH_CACHE"):
        return Path(os.environ["FORKPATCH_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "forkpatch"


def compatibility_file():
    """docs/compatibility.md of the kit's checkout, else of the current folder."""
    return (CHECKOUT or Path.cwd()) / "docs" / "compatibility.md"
