"""Where the kit keeps things: the patch series, build trees and the sdist cache."""

import os
from pathlib import Path

#: The kit's checkout: forkpatch is installed editable (``pip install -e .``).
ROOT = Path(__file__).resolve().parent.parent


def patches_dir():
    return Path(os.environ.get("FORKPATCH_PATCHES", ROOT / "patches"))


def build_dir():
    """Git-ignored folder for trees, virtual environments and wheels."""
    return Path(os.environ.get("FORKPATCH_BUILD", ROOT / "build"))


def cache_dir():
    """Downloaded sdists, shared by every checkout of the kit on this machine."""
    if "FORKPATCH_CACHE" in os.environ:
        return Path(os.environ["FORKPATCH_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "forkpatch"
