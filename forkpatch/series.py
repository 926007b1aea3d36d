"""Patch series: one folder per Django release line under patches/.

A folder named ``X.Y.x`` holds the series for every ``X.Y`` release. Where a line
has to split (a patch that does not apply to some early releases), a folder may
carry a ``versions`` file with a PEP 440 specifier (for example ``>=4.1,<4.1.3``);
the most specific folder that admits a version wins.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from forkpatch.errors import ForkpatchError
from forkpatch.paths import patches_dir

LINE_RE = re.compile(r"^(\d+)\.(\d+)\.x$")
APP_RE = re.compile(r"^diff --git a/tests/([^/]+)/", re.MULTILINE)


def parse_version(text):
    """Parse a final Django release number such as 4.2.30 or 5.0."""
    try:
        version = Version(text)
    except InvalidVersion:
        raise ForkpatchError(f"{text!r} is not a Django version number (try 4.2.30).")
    if version.is_prerelease or version.is_devrelease or version.local:
        raise ForkpatchError(
            f"{text} is not a final release; series are kept for final releases only."
        )
    return version


def line_of(version):
    """The release line of a version: 4.2.30 -> '4.2.x'."""
    return f"{version.major}.{version.minor}.x"


@dataclass(frozen=True)
class Series:
    name: str
    path: Path
    specifier: SpecifierSet
    explicit: bool

    @property
    def patches(self):
        series_file = self.path / "series"
        names = [
            line.strip()
            for line in series_file.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        missing = [name for name in names if not (self.path / name).is_file()]
        if missing:
            raise ForkpatchError(
                f"{series_file} lists {missing[0]}, which is not in {self.path}."
            )
        return [self.path / name for name in names]

    def digest(self):
        """A short hash of the series' contents, for local version labels."""
        h = hashlib.sha256()
        for patch in self.patches:
            h.update(patch.name.encode() + b"\0" + patch.read_bytes() + b"\0")
        return h.hexdigest()[:12]

    def test_apps(self):
        """The apps of Django's tests/ folder that the series touches."""
        apps = set()
        for patch in self.patches:
            apps.update(APP_RE.findall(patch.read_text(errors="replace")))
        apps.discard("runtests.py")
        return sorted(apps)

    def covers(self, version):
        return version in self.specifier


def all_series(root=None):
    root = Path(root) if root else patches_dir()
    found = []
    if not root.is_dir():
        return found
    for path in sorted(root.iterdir()):
        if not (path / "series").is_file():
            continue
        versions_file = path / "versions"
        if versions_file.is_file():
            text = versions_file.read_text().strip()
            try:
                spec = SpecifierSet(text)
            except InvalidSpecifier:
                raise ForkpatchError(f"{versions_file}: {text!r} is not a specifier.")
            found.append(Series(path.name, path, spec, True))
            continue
        match = LINE_RE.match(path.name)
        if match:
            spec = SpecifierSet(f"=={match[1]}.{match[2]}.*")
            found.append(Series(path.name, path, spec, False))
    return found


def series_for(version, root=None):
    """The series to apply to a Django version, or a ForkpatchError."""
    if isinstance(version, str):
        version = parse_version(version)
    candidates = [s for s in all_series(root) if s.covers(version)]
    if not candidates:
        lines = ", ".join(s.name for s in all_series(root)) or "none"
        raise ForkpatchError(
            f"no patch series covers Django {version} (series: {lines})."
        )
    # A folder with its own versions file is more specific than the line folder.
    candidates.sort(key=lambda s: (not s.explicit, s.name))
    return candidates[0]


def supported_lines(root=None):
    """The release lines (X.Y) that some series covers, oldest first."""
    lines = set()
    for series in all_series(root):
        match = LINE_RE.match(series.name)
        if match:
            lines.add((int(match[1]), int(match[2])))
    return sorted(lines)
