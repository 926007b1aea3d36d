"""forkpatch verify --all and docs/compatibility.md: every release the series
cover on the (loopback) index, one environment per line, one generated table."""

import re

import pytest
from conftest import forkpatch, make_series
from packaging.version import Version

from forkpatch import sdist
from forkpatch.rebase import seen_versions
from forkpatch.series import series_named

V = Version("4.2.30")


@pytest.fixture
def patches(stored, shared_venv, index, tmp_path, monkeypatch):
    root = stored("compat", "patches", lambda root: make_series(
        root,
        "4.2.x",
        V,
        [("Refs #1 -- Added a kit test.",
          {"tests/queries/tests.py": lambda t: "class T:\n    def test_q(self):\n        pass\n"})],
        tmp_path,
    ))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    index.publish("4.2.1")
    sdist._releases.cache_clear()  # make_series read the list before 4.2.1.
    return root


def test_verify_all_writes_the_compatibility_table(patches, tmp_path, capsys):
    compat = tmp_path / "docs" / "compatibility.md"
    code, out, err = forkpatch(capsys, "verify", "--all", "--compat", compat)
    assert code == 0, err
    # Every final release 4.2.x covers, in order, with progress; 4.1.13 and 9.9a1 not.
    assert re.findall(r"Django (\S+) \((\d/\d)\): checking out", err) == [
        ("4.2", "1/3"),
        ("4.2.1", "2/3"),
        ("4.2.30", "3/3"),
    ]
    assert "creating" not in err  # The line's environment is reused.
    assert f"forkpatch: wrote {compat}" in err
    text = compat.read_text()
    assert "- command: `forkpatch verify --all`" in text
    assert re.search(r"^- date: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", text, re.MULTILINE)
    assert re.search(r"^- total time: \d+ s$", text, re.MULTILINE)
    assert (
        "| version | series | digest | database | tests run | result | seconds |"
        in text
    )
    digest = series_named("4.2.x", patches).digest()
    rows = [line for line in text.splitlines() if re.match(r"^\| \d", line)]
    assert len(rows) == 3
    for row, version in zip(rows, ["4.2", "4.2.1", "4.2.30"]):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[:6] == [version, "4.2.x", digest, "sqlite", "4", "passed"]
        assert cells[6].isdigit()
    # The trees are gone; the logs stay.
    verify = tmp_path / "build" / "verify"
    assert sorted(p.name for p in verify.iterdir()) == [
        "4.2-sqlite.log",
        "4.2.1-sqlite.log",
        "4.2.30-sqlite.log",
    ]
    # outdated reads it back: only the pre-release is left, and no series covers it.
    assert seen_versions(compat) == {Version("4.2"), Version("4.2.1"), V}
    code, out, err = forkpatch(capsys, "outdated", "--compat", compat)
    assert code == 0, err
    assert [line.split(None, 2) for line in out.splitlines()[2:]] == [
        ["9.9a1", "-", "no series covers it"]
    ]


def test_verify_all_records_failures(patches, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_RUNTESTS_FAIL", "queries.tests.test_q")
    compat = tmp_path / "compatibility.md"
    code, out, err = forkpatch(capsys, "verify", "--all", "--compat", compat)
    assert code == 1
    assert compat.read_text().count("| FAILED (exit 1; ") == 3


def test_verify_takes_versions_or_all(patches, capsys):
    code, _, err = forkpatch(capsys, "verify", "--all", "4.2")
    assert code == 2 and "verify takes VERSIONs or --all, not both." in err


def test_verify_all_and_difftest_keep_each_others_part(tmp_path):
    import datetime

    from forkpatch import compat

    path = tmp_path / "compatibility.md"
    record = {key: 0 for key in compat.DIFFTEST_HEADER}
    record.update(version="6.1.3", database="mysql", date="2026-11-29")
    record.update({"new ids": [], "fixed ids": [], "both ids": ["a.tests.T.test_x"]})
    compat.record_difftest(path, record)
    assert path.read_text().startswith("# Compatibility\n\n(`forkpatch verify --all`")
    row = dict(version="4.2", series="4.2.x", digest="d", database="sqlite")
    row.update({"tests run": 4, "result": "passed", "seconds": 1})
    started = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)
    compat.write(path, [row], started, 60, "forkpatch verify --all")
    text = path.read_text()
    assert text.startswith("# Compatibility: every release the series cover\n")
    assert "| 4.2 | 4.2.x | d | sqlite | 4 | passed | 1 |" in text
    assert "| 6.1.3 | mysql |" in text
    assert "  - `a.tests.T.test_x`" in text
    # Only verify's rows count as seen: 6.1.3 has a difftest row only.
    assert seen_versions(path) == {Version("4.2")}
    # Another difftest row keeps both the verify part and the first row.
    compat.record_difftest(path, {**record, "version": "4.2.30", "both ids": []})
    text = path.read_text()
    assert text.index("| 4.2 | 4.2.x |") < text.index("| 4.2.30 | mysql |")
    assert text.index("| 4.2.30 | mysql |") < text.index("| 6.1.3 | mysql |")
    assert set(compat.difftest_records(text)) == {
        ("4.2.30", "mysql"),
        ("6.1.3", "mysql"),
    }
