"""Patch series: one folder per Django release line in the patches tree.

- ``X.Y.x`` holds the series for every ``X.Y`` release, pre-releases included
  (6.2.x covers 6.2a1, 6.2b1, 6.2rc1, 6.2 and 6.2.1);
- a folder with a ``versions`` file (a PEP 440 specifier such as ``>=4.1,<4.1.4``)
  covers the releases it admits and wins over the line's folder;
- ``main`` (no versions file) holds the series for Django's main branch: used for
  a clone at a development version (``checkout --git``), and for a pre-release of
  a line that has no ``X.Y.x`` folder yet.

A Series reads its ``series`` file and parses its patches once.
"""

import email.parser
import email.policy
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from forkpatch.errors import ForkpatchError

LINE_RE = re.compile(r"^(\d+)\.(\d+)\.x$")
MAIN = "main"
DIFF_RE = re.compile(r"^diff --git a/(\S+) b/(\S+)$")


def parse_version(text):
    """A Django release number: final (4.2.30, 5.0) or pre-release (6.2a1, 6.2rc1)."""
    try:
        version = Version(text)
    except InvalidVersion:
        raise ForkpatchError(f"{text!r} is not a Django version number (try 4.2.30).")
    if version.is_devrelease:
        raise ForkpatchError(
            f"{text} is a development version, not a release; for a clone of "
            "Django's main branch use checkout --git DIR."
        )
    if version.local or version.is_postrelease:
        raise ForkpatchError(
            f"{text} is not a Django release number (try {version.base_version})."
        )
    return version


@dataclass(frozen=True)
class FileChange:
    path: str  # from the Django tree's top, e.g. django/db/models/query.py
    status: str  # "new", "deleted" or "modified"


@dataclass(frozen=True)
class Patch:
    """One git format-patch file: its subject and the files it changes."""

    path: Path
    subject: str
    changes: tuple

    @property
    def name(self):
        return self.path.name

    def files(self, status):
        return [c.path for c in self.changes if c.status == status]


def read_patch(path):
    """Parse a format-patch file's subject and the files it changes."""
    path = Path(path)
    text = path.read_text(errors="replace")
    header = email.parser.Parser(policy=email.policy.default).parsestr(
        text.partition("\n\n")[0] + "\n\n", headersonly=True
    )
    subject = re.sub(r"^\[PATCH[^\]]*\]\s*", "", str(header["Subject"] or path.name))
    changes = []
    for block in re.split(r"^(?=diff --git )", text, flags=re.MULTILINE)[1:]:
        lines = block.splitlines()
        match = DIFF_RE.match(lines[0])
        if not match:
            raise ForkpatchError(
                f"{path.name}: cannot read the diff line {lines[0]!r}."
            )
        status = "modified"
        for line in lines[1:]:
            if line.startswith(("--- ", "@@", "GIT binary patch", "Binary files")):
                break
            if line.startswith("new file mode"):
                status = "new"
            elif line.startswith("deleted file mode"):
                status = "deleted"
        changes.append(
            FileChange(match[2] if status != "deleted" else match[1], status)
        )
    return Patch(path, subject, tuple(changes))


@dataclass(frozen=True)
class Series:
    name: str
    path: Path
    kind: str  # "range" (a versions file), "line" (X.Y.x) or "main"
    specifier: SpecifierSet | None = None

    @property
    def label(self):
        """How messages name the series: the patches tree's folder and its own."""
        return f"{self.path.parent.name}/{self.name}"

    @functools.cached_property
    def patches(self):
        """The series' patches, in order, each parsed once."""
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
        return tuple(read_patch(self.path / name) for name in names)

    def digest(self):
        """A short hash of the series' contents, recorded in trees and wheels."""
        h = hashlib.sha256()
        for patch in self.patches:
            h.update(patch.name.encode() + b"\0" + patch.path.read_bytes() + b"\0")
        return h.hexdigest()[:12]

    def test_apps(self):
        """The apps of Django's tests/ folder that the series touches."""
        apps = {
            change.path.split("/")[1]
            for patch in self.patches
            for change in patch.changes
            if change.path.startswith("tests/") and change.path.count("/") >= 2
        }
        return sorted(apps)

    def covers(self, version):
        """Whether the series is made for this release (main covers none by itself)."""
        if self.kind == "range":
            return self.specifier.contains(version, prereleases=True)
        if self.kind == "line":
            match = LINE_RE.match(self.name)
            return version.release[:2] == (int(match[1]), int(match[2]))
        return False


def all_series(root):
    """Every series folder in the patches tree root, by name."""
    root = Path(root)
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
            found.append(Series(path.name, path, "range", spec))
        elif LINE_RE.match(path.name):
            found.append(Series(path.name, path, "line"))
        elif path.name == MAIN:
            found.append(Series(path.name, path, "main"))
    return found


def series_for(version, root):
    """The series to apply to a Django version, or a ForkpatchError.

    A folder with a versions file beats the line's folder. A development version
    of a new line (6.2.dev, Django's main branch) takes main first; a pre-release
    or a development version falls back to main when no folder covers it.
    """
    every = all_series(root)
    ranges = [s for s in every if s.kind == "range" and s.covers(version)]
    lines = [s for s in every if s.kind == "line" and s.covers(version)]
    main = [s for s in every if s.kind == "main"]
    if version.is_devrelease and version.micro == 0:
        order = main + ranges + lines
    elif version.is_prerelease:
        order = ranges + lines + main
    else:
        order = ranges + lines
    if not order:
        names = ", ".join(s.name for s in every) or "none"
        raise ForkpatchError(
            f"no patch series covers Django {version} (series: {names})."
        )
    return order[0]


def series_named(name, root):
    """The series folder called name, for --series."""
    for series in all_series(root):
        if series.name == name:
            return series
    names = ", ".join(s.name for s in all_series(root)) or "none"
    raise ForkpatchError(f"there is no series {name!r} in {root} (series: {names}).")


def supported_lines(root):
    """The release lines (X.Y) that a line folder covers, oldest first."""
    lines = set()
    for series in all_series(root):
        match = LINE_RE.match(series.name)
        if match:
            lines.add((int(match[1]), int(match[2])))
    return sorted(lines)
