"""forkpatch wheel: a reproducible wheel of a patched Django release.

The tree is made as ``forkpatch checkout`` makes it (the release's sdist plus its
series, one commit per patch) in a temporary folder, and built there.

Local version (PEP 440): ``VERSION+LABEL``, for example ``4.2.30+aiterprefetch.3``.
LABEL is the first line of ``patches/<line>/local-version`` when the series folder
has one (bump it when a patch changes without the count changing), otherwise
``aiterprefetch.<number of patches in the series>``. The version goes into the
build copy only, never into the series: the copy's ``django/utils/version.py``
gets a short block that records the series (``FORKPATCH_SERIES``,
``FORKPATCH_DIGEST``: the series digest, ``FORKPATCH_LOCAL_VERSION``) and makes
``get_version()`` of this Django's own version end in ``+LABEL``. So
``django.__version__``, ``django.get_version()``, ``python -m django --version``
and the package metadata (setuptools reads ``attr: django.__version__``), hence
``importlib.metadata.version("django")``, all report the local version.

Reproducible: built with ``python -m build --wheel --no-isolation`` in a virtual
environment holding pinned build tools (``PINNED``), with ``SOURCE_DATE_EPOCH`` =
the commit time of the tree's newest patch (its author date) and
``PYTHONHASHSEED=0``; the archive is then rewritten in a fixed order (package
files by name, then ``.dist-info`` with ``RECORD`` last), every entry dated
``SOURCE_DATE_EPOCH`` and with mode 644 (755 if executable). The same release,
series and pins give the same bytes.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.paths import build_dir
from forkpatch.runner import pip_install
from forkpatch.sdist import sha256_of
from forkpatch.series import parse_version, series_for
from forkpatch.tree import checkout

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

HELP = "build a reproducible wheel of a patched Django release"

DESCRIPTION = """\
Build a wheel of Django VERSION with its release line's patch series applied:
the sdist plus the series is checked out in a temporary folder (as forkpatch
checkout does) and built there. Prints the wheel's path.

Local version (PEP 440): VERSION+LABEL, e.g. 4.2.30+aiterprefetch.3. LABEL is
the first line of patches/<line>/local-version if the series folder has that
file (bump it when a patch changes but the number of patches does not), else
aiterprefetch.<number of patches in the series>. The installed package reports
it everywhere: django.__version__, django.get_version(), python -m django
--version and importlib.metadata.version("django"). The build copy's
django/utils/version.py also records the series name and digest
(FORKPATCH_SERIES, FORKPATCH_DIGEST). The series itself is not changed.

Reproducible: the same release, series and forkpatch give the same bytes. The
build runs python -m build --wheel --no-isolation in build/venvs/wheel-build-*
with pinned setuptools, wheel and build, SOURCE_DATE_EPOCH set to the newest
patch's date, and the archive rewritten with a fixed file order, dates and
modes.

A wheel of that name already in DIR with other contents is an error (the
series changed without a new LABEL); with the same contents it is left as is.
Nothing is written to DIR unless the build succeeds.
"""

EPILOG = """\
example:
  forkpatch wheel 4.2.30 -o dist/
  python -m pip install dist/django-4.2.30+aiterprefetch.3-py3-none-any.whl
"""

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
            f"patches/{series.name} has no patches; there is nothing to build."
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


def build_python(log=print):
    """The Python of build/venvs/wheel-build-pyX.Y, with the pinned build tools."""
    major, minor = sys.version_info[:2]
    venv = build_dir() / "venvs" / f"wheel-build-py{major}.{minor}"
    python = venv / "bin" / "python"
    stamp = venv / "forkpatch-build-requirements.txt"
    wanted = "".join(f"{req}\n" for req in PINNED)
    if python.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return python
    log(f"creating {venv} with {' '.join(PINNED)}")
    proc = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        raise ForkpatchError(f"cannot create {venv}: {last[-1]}")
    pip_install(python, ["--no-deps", *PINNED], f"the build tools ({' '.join(PINNED)})")
    stamp.write_text(wanted)
    return python


def source_date_epoch(tree):
    """The commit time of the tree's HEAD: the newest patch's author date."""
    stamp = int(git("log", "-1", "--format=%ct", "HEAD", cwd=tree).stdout.strip())
    return max(stamp, ZIP_EPOCH_MIN)


def run_build(python, tree, outdir, epoch, version):
    """python -m build --wheel --no-isolation; the path of the one wheel it made."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
        and not key.startswith(("SETUPTOOLS_", "DISTUTILS_", "_PYPROJECT_HOOKS"))
    }
    env.update(
        SOURCE_DATE_EPOCH=str(epoch),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        LC_ALL="C.UTF-8",
        TZ="UTC",
    )
    cmd = [
        str(python), "-m", "build", "--wheel", "--no-isolation",
        "--outdir", str(outdir), str(tree),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wheels = sorted(Path(outdir).glob("*.whl"))
    if proc.returncode or len(wheels) != 1:
        output = (proc.stdout + "\n" + proc.stderr).splitlines()
        errors = [line for line in output if "error" in line.lower()]
        last = errors or [line for line in output if line.strip()] or ["no output"]
        raise ForkpatchError(
            f"building the wheel of Django {version} failed: {last[-1].strip()}"
        )
    return wheels[0]


def _entry_order(name):
    in_dist_info = ".dist-info/" in name and "/" not in name.split(".dist-info/")[0]
    return (in_dist_info, in_dist_info and name.endswith("/RECORD"), name)


def normalise(source, dest, epoch):
    """Rewrite a wheel with a fixed entry order, dates and modes (same contents)."""
    date_time = time.gmtime(epoch)[:6]
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in sorted(zin.infolist(), key=lambda i: _entry_order(i.filename)):
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.create_system = 3  # Unix, so the mode below is read.
            if info.is_dir():
                entry.external_attr = (0o40755 << 16) | 0x10
                zout.writestr(entry, b"")
                continue
            executable = (info.external_attr >> 16) & 0o111
            entry.external_attr = (0o100000 | (0o755 if executable else 0o644)) << 16
            zout.writestr(
                entry,
                zin.read(info),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=6,
            )


def wheel_version(path):
    """The Version field of a wheel's METADATA."""
    with zipfile.ZipFile(path) as whl:
        names = [
            n for n in whl.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)
        ]
        if len(names) != 1:
            raise ForkpatchError(f"{path.name} has no single .dist-info/METADATA.")
        for line in whl.read(names[0]).decode("utf-8").splitlines():
            if line.startswith("Version:"):
                return line.partition(":")[2].strip()
    raise ForkpatchError(f"{path.name}'s METADATA has no Version.")


def _place(wheel, outdir, log):
    """Copy the finished wheel into outdir; refuse to replace a different one."""
    dest = outdir / wheel.name
    if dest.exists():
        if dest.is_file() and sha256_of(dest) == sha256_of(wheel):
            log(f"{dest} already exists with the same contents; left as is")
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


def build_wheel(version_text, outdir=None, log=print):
    """Build the patched wheel of a Django release into outdir; return its path."""
    version = parse_version(version_text)
    series = series_for(version)
    label = local_label(series)
    digest = series.digest()
    local = f"{version}+{label}"
    outdir = Path(outdir) if outdir else build_dir() / "wheels"
    if outdir.exists() and not outdir.is_dir():
        raise ForkpatchError(f"{outdir} is not a folder; give -o a folder.")
    python = build_python(log)
    with tempfile.TemporaryDirectory(prefix="forkpatch-wheel-") as tmp:
        tmp = Path(tmp)
        tree = checkout(str(version), tmp / "tree", log=log)
        stamp_version(tree, version, series, label, digest)
        epoch = source_date_epoch(tree)
        log(f"building Django {local} (SOURCE_DATE_EPOCH={epoch})")
        raw = run_build(python, tree, tmp / "raw", epoch, version)
        (tmp / "final").mkdir()
        final = tmp / "final" / raw.name
        normalise(raw, final, epoch)
        reported = wheel_version(final)
        if reported != local:
            raise ForkpatchError(
                f"the wheel says version {reported}, not {local}; nothing was written."
            )
        dest = _place(final, outdir, log)
    log(
        f"{dest.name}: Django {local}, patches/{series.name} "
        f"({_patches(len(series.patches))}, digest {digest}), sha256 {sha256_of(dest)}"
    )
    return dest


def cmd_wheel(args):
    from forkpatch.cli import log

    print(build_wheel(args.version, args.output, log=log))
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "wheel",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("version", metavar="VERSION", help="a Django release, e.g. 4.2.30")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="where to put the wheel (default: build/wheels)",
    )
    p.set_defaults(func=cmd_wheel)
    return p
