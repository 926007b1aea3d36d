"""Django's sdists: which releases the package index has, downloading and checking them.

One package index serves everything: FORKPATCH_INDEX_URL, else PIP_INDEX_URL,
else PyPI. Its project page (the simple repository API, PEP 691) gives each
sdist's URL and sha256; the file is downloaded from that URL and checked against
that sha256, and the same index is passed to every pip install forkpatch runs.
A cached sdist is used only while it matches the sha256 the index publishes.
"""

import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from packaging.version import InvalidVersion, Version

from forkpatch.errors import ForkpatchError
from forkpatch.paths import cache_dir
from forkpatch.progress import Status, megabytes

log = logging.getLogger(__name__)

PYPI = "https://pypi.org/simple"
SDIST_RE = re.compile(r"^[Dd]jango-(?P<version>[^-]+)\.tar\.gz$")
ACCEPT = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60


@dataclass(frozen=True)
class Release:
    version: Version
    filename: str
    sha256: str
    url: str


def index_url():
    """The package index: FORKPATCH_INDEX_URL, PIP_INDEX_URL, or PyPI's."""
    url = os.environ.get("FORKPATCH_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
    return (url or PYPI).rstrip("/")


def releases():
    """Every Django release (final or pre-release) with an sdist on the index."""
    return _releases(index_url())


@functools.cache
def _releases(index):
    page = f"{index}/django/"
    request = urllib.request.Request(page, headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ForkpatchError(
            f"cannot read Django's release list from {index} ({reason}); "
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
        if version.is_devrelease or version.is_postrelease:
            continue
        found[version] = Release(
            version, entry["filename"], sha256, urljoin(page, entry["url"])
        )
    return found


def release(version):
    """The index's record of one release, or a ForkpatchError naming what exists."""
    found = releases()
    if version in found:
        return found[version]
    same_line = sorted(v for v in found if v.release[:2] == version.release[:2])
    hint = (
        f" (newest {version.major}.{version.minor}.x: {same_line[-1]})"
        if same_line
        else ""
    )
    raise ForkpatchError(f"Django {version} is not on the package index{hint}.")


def newest(line):
    """The newest release of a line given as (major, minor): a final one if any."""
    versions = [v for v in releases() if v.release[:2] == tuple(line)]
    if not versions:
        raise ForkpatchError(
            f"the package index has no Django {line[0]}.{line[1]} release."
        )
    finals = [v for v in versions if not v.is_prerelease]
    return max(finals or versions)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(version):
    """The path of the checked sdist of a Django version, downloading it if needed."""
    info = release(version)
    cache = cache_dir() / "sdists"
    target = cache / info.filename
    if target.is_file():
        if sha256_of(target) == info.sha256:
            return target
        log.warning(
            f"cached {info.filename} did not match the index's sha256: "
            "downloading it again"
        )
    cache.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{info.filename}-", dir=cache)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _download(info, out)
        if digest != info.sha256:
            raise ForkpatchError(
                f"{info.filename} has sha256 {digest}, but the index publishes "
                f"{info.sha256}; refusing to use it."
            )
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    target.with_name(target.name + ".sha256").unlink(missing_ok=True)  # Old caches.
    return target


def _download(info, out):
    """Copy info.url into the open file out, showing the bytes so far; its sha256."""
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(info.url, timeout=TIMEOUT) as response:
            size = int(response.headers.get("Content-Length") or 0)
            of = f" of {megabytes(size)}" if size else ""
            with Status(f"downloading {info.filename} from {info.url}") as status:
                done = 0
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    h.update(block)
                    done += len(block)
                    status.update(f"{megabytes(done)}{of}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ForkpatchError(f"cannot download {info.filename} ({reason}).")
    return h.hexdigest()
