import re

import pytest

from forkpatch.errors import ForkpatchError
from forkpatch.series import (
    all_series,
    line_of,
    parse_version,
    series_for,
    supported_lines,
)


def write_series(root, name, patches=(), versions=None):
    folder = root / name
    folder.mkdir(parents=True)
    for patch in patches:
        (folder / patch).write_text(f"diff --git a/tests/{patch[:-6]}/x.py b/x\n")
    (folder / "series").write_text("".join(f"{p}\n" for p in patches))
    if versions:
        (folder / "versions").write_text(versions + "\n")
    return folder


@pytest.mark.parametrize(
    "text, line",
    [("4.2.30", "4.2.x"), ("4.1", "4.1.x"), ("5.0.14", "5.0.x"), ("6.1.3", "6.1.x")],
)
def test_line_of(text, line):
    assert line_of(parse_version(text)) == line


@pytest.mark.parametrize(
    "text, message",
    [
        ("four", "'four' is not a Django version number (try 4.2.30)."),
        ("4.2rc1", "4.2rc1 is not a final release"),
        ("5.0.dev0", "5.0.dev0 is not a final release"),
        ("4.2.30+local", "4.2.30+local is not a final release"),
    ],
)
def test_parse_version_rejects(text, message):
    with pytest.raises(ForkpatchError, match=re.escape(message)):
        parse_version(text)


def test_series_for_picks_the_line(tmp_path):
    write_series(tmp_path, "4.1.x", ["a.patch"])
    write_series(tmp_path, "4.2.x", ["b.patch", "c.patch"])
    series = series_for("4.2.30", tmp_path)
    assert series.name == "4.2.x"
    assert [p.name for p in series.patches] == ["b.patch", "c.patch"]
    assert series.test_apps() == ["b", "c"]
    assert series_for("4.1", tmp_path).name == "4.1.x"


def test_series_for_prefers_an_explicit_range(tmp_path):
    write_series(tmp_path, "4.1.x", ["a.patch"])
    write_series(tmp_path, "4.1.0-4.1.2", ["old.patch"], versions=">=4.1,<4.1.3")
    assert series_for("4.1.2", tmp_path).name == "4.1.0-4.1.2"
    assert series_for("4.1.3", tmp_path).name == "4.1.x"
    assert supported_lines(tmp_path) == [(4, 1)]


def test_series_for_unknown_line(tmp_path):
    write_series(tmp_path, "4.2.x")
    with pytest.raises(ForkpatchError) as info:
        series_for("3.2.25", tmp_path)
    assert str(info.value) == "no patch series covers Django 3.2.25 (series: 4.2.x)."


def test_series_lists_a_missing_patch(tmp_path):
    folder = write_series(tmp_path, "4.2.x", ["a.patch"])
    (folder / "a.patch").unlink()
    with pytest.raises(ForkpatchError, match="lists a.patch, which is not in"):
        series_for("4.2.1", tmp_path).patches


def test_bad_versions_file(tmp_path):
    write_series(tmp_path, "odd", versions="not a specifier")
    with pytest.raises(ForkpatchError, match="is not a specifier"):
        all_series(tmp_path)


def test_digest_changes_with_content(tmp_path):
    folder = write_series(tmp_path, "4.2.x", ["a.patch"])
    before = series_for("4.2", tmp_path).digest()
    (folder / "a.patch").write_text("changed\n")
    assert series_for("4.2", tmp_path).digest() != before


def test_every_shipped_series_is_complete():
    """Each folder in patches/ lists its patches in order, all present, none extra."""
    shipped = all_series()
    assert shipped, "patches/ holds no series"
    for series in shipped:
        listed = [p.name for p in series.patches]
        present = sorted(p.name for p in series.path.glob("*.patch"))
        assert listed == present, series.name
        assert listed, f"{series.name} is empty"
