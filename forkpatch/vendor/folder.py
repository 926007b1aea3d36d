"""The plain-folder apply: PATH is not in git, so its files are changed in place."""

import shutil
import tempfile
from pathlib import Path

from forkpatch.vendor import trial


def apply_in_folder(target, patches, reverse, check):
    """Trial-apply in a scratch folder, then copy the result over PATH's files.

    Returns "already" when the series is already in (or already out), else None.
    """
    with tempfile.TemporaryDirectory(prefix="forkpatch-vendor-") as tmp:
        scratch = Path(tmp) / "forward"
        scratch.mkdir()
        error = trial.simulate_in_folder(target, patches, reverse, scratch)
        if error is not None:
            back = Path(tmp) / "back"
            back.mkdir()
            if trial.simulate_in_folder(target, patches, not reverse, back) is None:
                return "already"
            raise error
        if not check:
            copy_back(target, patches, scratch)
    return None


def copy_back(target, patches, scratch):
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
