"""forkpatch wheel: a reproducible wheel of a patched Django release.

The tree is made as ``forkpatch checkout`` makes it (the release's sdist plus its
series, one commit per patch) in a temporary folder, and built there.

Local version (PEP 440): ``VERSION+LABEL``, for example ``4.2.30+aiterprefetch.1``.
LABEL is the first line of the series folder's ``local-version`` file when it has
one, otherwise ``aiterprefetch.<number of patches in the series>``. The version
goes into the build copy only: its ``django/utils/version.py`` gets a short block
that records the series (``FORKPATCH_SERIES``, ``FORKPATCH_DIGEST``,
``FORKPATCH_LOCAL_VERSION``) and makes ``get_version()`` of this Django's own
version end in ``+LABEL``, so ``django.__version__``, ``get_version()``,
``python -m django --version`` and the package metadata all report it.

Reproducible: ``python -m build --wheel --no-isolation`` in a virtual environment
holding pinned build tools (``PINNED``). The wheel package writes reproducible
archives itself (entries sorted, ``.dist-info`` last with ``RECORD`` at the end,
every entry dated ``SOURCE_DATE_EPOCH``); forkpatch sets ``SOURCE_DATE_EPOCH`` to
the newest patch's date, gives every file of the build copy mode 644 (755 if
executable) and builds with umask 022, so modes are the same on every machine.
"""

import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.metadata import Metadata
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from forkpatch import proc
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.sdist import index_url, sha256_of
from forkpatch.tree import checkout
from forkpatch.venv import Venv

log = logging.getLogger(__name__)

#: The build tools, pinned: a newer setuptools may write other metadata.
PINNED = (
    "build==1.2.2.post1",
    "packaging==24.2",
    "pyproject_hooks==1.2.0",
    "setuptools==80.9.0",
    "wheel==0.45.1",
)

#: A normalised PEP 440 local version label.
LABEL_RE = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")

#: Zip archives cannot hold dates before 1980.
ZIP_EPOCH_MIN = 315532800

VERSION_BLOCK = '''

# Added by `forkpatch wheel` to this build only, not part of the series: Django
# {version} with the patch series {series} ({count}, digest {digest})
# reports the PEP 440 local version {version}+{label}.
FORKPATCH_SERIES = "{series}"
FORKPATCH_DIGEST = "{digest}"
FORKPATCH_LOCAL_VERSION = "{label}"

_public_get_version = get_version


def get_version(version=None):
    """Return get_version(), with this build's local version label when the
    version asked for is this Django's own."""
    public = _public_get_version(version)
    if version is None or tuple(version) == tuple(get_complete_version()):
        return "%s+%s" % (public, FORKPATCH_LOCAL_VERSION)
    return public
'''


def _patches(count):
    return f"{count} patch" if count == 1 else f"{count} patches"


def local_label(series):
    """The local version label of wheels built with a series."""
    path = series.path / "local-version"
    if path.is_file():
        lines = path.read_text().strip().splitlines()
        text = lines[0].strip() if lines else ""
        if not LABEL_RE.fullmatch(text) or Version(f"0+{text}").local != text:
            raise ForkpatchError(
                f"{path}: {text!r} is not a PEP 440 local version label (lower-case "
                "letters and digits in dot-separated parts, no leading zeros: e.g. "
                "aiterprefetch.3)."
            )
        return text
    count = len(series.patches)
    if not count:
        raise ForkpatchError(
            f"{series.label} has no patches; there is nothing to build."
        )
    return f"aiterprefetch.{count}"


def stamp_version(tree, version, series, label, digest):
    """Make the build copy report version+label; the series is not touched."""
    path = Path(tree) / "django" / "utils" / "version.py"
    text = path.read_text() if path.is_file() else ""
    if "def get_version(" not in text or "def get_complete_version(" not in text:
        raise ForkpatchError(
            f"cannot set the local version: {path} has no get_version() and "
            "get_complete_version()."
        )
    path.write_text(
        text.rstrip("\n")
        + "\n"
        + VERSION_BLOCK.format(
            version=version,
            series=series.name,
            count=_patches(len(series.patches)),
            digest=digest,
            label=label,
        )
    )


def build_venv(build):
    """The environment with the pinned build tools, made once for this Python."""
    major, minor = sys.version_info[:2]
    venv = Venv(
        Path(build) / "venvs" / f"wheel-build-py{major}.{minor}", sys.executable
    )
    return venv.ensure(PINNED, index_url(), exact=True, pip_options=["--no-deps"])


def source_date_epoch(tree):
    """The commit time of the tree's HEAD: the newest patch's author date."""
    stamp = int(git("log", "-1", "--format=%ct", "HEAD", cwd=tree).stdout.strip())
    return max(stamp, ZIP_EPOCH_MIN)


def fix_modes(tree):
    """Every file 644, or 755 if executable: modes that do not depend on a umask."""
    for path in Path(tree).rglob("*"):
        if path.is_symlink() or ".git" in path.relative_to(tree).parts[:1]:
            continue
        executable = path.is_dir() or path.stat().st_mode & stat.S_IXUSR
        path.chmod(0o755 if executable else 0o644)


def run_build(python, tree, outdir, epoch, version):
    """python -m build --wheel --no-isolation; the path of the one wheel it made."""
    fix_modes(tree)
    proc.run(
        [python, "-m", "build", "--wheel", "--no-isolation", "--outdir", outdir, tree],
        what=f"building the wheel of Django {version}",
        cwd=tree,
        env={
            "SOURCE_DATE_EPOCH": str(epoch),
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        },
        unset=[
            key for key in os.environ
            if key in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
            or key.startswith(("SETUPTOOLS_", "DISTUTILS_", "_PYPROJECT_HOOKS"))
        ],
        umask=0o022,
    )  # fmt: skip
    wheels = sorted(Path(outdir).glob("*.whl"))
    if len(wheels) != 1:
        raise ForkpatchError(
            f"building the wheel of Django {version} made {len(wheels)} wheels, not one."
        )
    return wheels[0]


def wheel_version(path):
    """The version a wheel's name and its METADATA give (they must agree)."""
    path = Path(path)
    try:
        _, from_name, _, _ = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise ForkpatchError(f"{path.name} is not a wheel's name ({exc}).")
    with zipfile.ZipFile(path) as whl:
        names = [
            n for n in whl.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)
        ]
        if len(names) != 1:
            raise ForkpatchError(f"{path.name} has no single .dist-info/METADATA.")
        metadata = Metadata.from_email(whl.read(names[0]), validate=False)
    if metadata.version != from_name:
        raise ForkpatchError(
            f"{path.name}'s METADATA says version {metadata.version}, its name {from_name}."
        )
    return str(metadata.version)


def _place(wheel, outdir):
    """Copy the finished wheel into outdir; refuse to replace a different one."""
    dest = outdir / wheel.name
    if dest.exists():
        if dest.is_file() and sha256_of(dest) == sha256_of(wheel):
            log.info(f"{dest} already exists with the same contents; left as is")
            return dest
        raise ForkpatchError(
            f"{dest} already exists with other contents (the series changed without "
            "a new local version label?); remove it, or bump the label in "
            "the series folder's local-version file; nothing was changed."
        )
    outdir.mkdir(parents=True, exist_ok=True)
    partial = outdir / f".{wheel.name}.partial"
    shutil.copyfile(wheel, partial)
    os.replace(partial, dest)
    return dest


def build_wheel(build, version, series, outdir):
    """Build the patched wheel of a Django release into outdir; return its path."""
    label = local_label(series)
    digest = series.digest()
    local = f"{version}+{label}"
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise ForkpatchError(f"{outdir} is not a folder; give -o a folder.")
    python = build_venv(build)
    with tempfile.TemporaryDirectory(prefix="forkpatch-wheel-") as tmp:
        tmp = Path(tmp)
        tree = checkout(version, series, tmp / "tree")
        stamp_version(tree, version, series, label, digest)
        epoch = source_date_epoch(tree)
        log.info(f"building Django {local} (SOURCE_DATE_EPOCH={epoch})")
        built = run_build(python, tree, tmp / "out", epoch, version)
        reported = wheel_version(built)
        if reported != local:
            raise ForkpatchError(
                f"the wheel says version {reported}, not {local}; nothing was written."
            )
        dest = _place(built, outdir)
    log.info(
        f"{dest.name}: Django {local}, {series.label} "
        f"({_patches(len(series.patches))}, digest {digest}), sha256 {sha256_of(dest)}"
    )
    return dest
