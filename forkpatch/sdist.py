"""Django's sdists: which releases the package index has, downloading and checking them.

The sdist is downloaded with ``pip download --no-deps --no-binary :all:`` and
checked against the sha256 that the index publishes for that file (the simple
repository API, PEP 691). Checked files are cached, with their hash beside them.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from forkpatch.errors import ForkpatchError
from forkpatch.paths import cache_dir

SDIST_RE = re.compile(r"^[Dd]jango-(?P<version>[^-]+)\.tar\.gz$")
ACCEPT = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Release:
    version: Version
    filename: str
    sha256: str
    requires_python: str | None


def index_url():
    """The package index pip uses: FORKPATCH_INDEX_URL, PIP_INDEX_URL, or pip's own."""
    url = os.environ.get("FORKPATCH_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
    if url:
        return url.rstrip("/")
    try:
        from pip._internal.models.index import PyPI
    except ImportError:  # pragma: no cover - pip is always beside a venv's python
        raise ForkpatchError(
            "cannot tell which package index to use: set FORKPATCH_INDEX_URL."
        )
    return PyPI.simple_url.rstrip("/")


_releases = None


def releases():
    """Every final Django release with an sdist on the index, keyed by version."""
    global _releases
    if _releases is not None:
        return _releases
    url = f"{index_url()}/django/"
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ForkpatchError(
            f"cannot read Django's release list from the package index ({reason}); "
            "check the network, or set FORKPATCH_INDEX_URL."
        )
    found = {}
    for entry in data.get("files", []):
        match = SDIST_RE.match(entry["filename"])
        sha256 = entry.get("hashes", {}).get("sha256")
        if not match or not sha256 or entry.get("yanked"):
            continue
        try:
            version = Version(match["version"])
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        found[version] = Release(
            version, entry["filename"], sha256, entry.get("requires-python")
        )
    _releases = found
    return found


def release(version):
    """The index's record of one release, or a ForkpatchError naming what exists."""
    found = releases()
    if version in found:
        return found[version]
    same_line = sorted(
        v for v in found if (v.major, v.minor) == (version.major, version.minor)
    )
    hint = (
        f" (newest {version.major}.{version.minor}.x: {same_line[-1]})"
        if same_line
        else ""
    )
    raise ForkpatchError(f"Django {version} is not on the package index{hint}.")


def newest(line):
    """The newest release of a line given as (major, minor)."""
    versions = [v for v in releases() if (v.major, v.minor) == tuple(line)]
    if not versions:
        raise ForkpatchError(
            f"the package index has no Django {line[0]}.{line[1]} release."
        )
    return max(versions)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(version, log=print):
    """The path of the checked sdist of a Django version, downloading it if needed."""
    if isinstance(version, str):
        version = Version(version)
    cache = cache_dir() / "sdists"
    # A cached sdist is trusted only with the hash the index published for it.
    for cached in cache.glob(f"[Dd]jango-{version}.tar.gz"):
        stamp = cached.with_name(cached.name + ".sha256")
        if stamp.is_file() and sha256_of(cached) == stamp.read_text().strip():
            return cached
    info = release(version)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        log(f"downloading {info.filename}")
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary", ":all:", "--ignore-requires-python", "--dest", tmp,
            f"django=={version}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        downloaded = Path(tmp) / info.filename
        if proc.returncode or not downloaded.is_file():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ForkpatchError(f"pip could not download Django {version}: {last}")
        digest = sha256_of(downloaded)
        if digest != info.sha256:
            raise ForkpatchError(
                f"{info.filename} has sha256 {digest}, but the index publishes "
                f"{info.sha256}; refusing to use it."
            )
        target = cache / info.filename
        shutil.move(downloaded, target)
        target.with_name(target.name + ".sha256").write_text(digest + "\n")
    return target
