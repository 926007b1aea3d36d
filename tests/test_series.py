import re

import pytest
from conftest import ROOT
from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.series import (
    all_series,
    parse_version,
    read_patch,
    series_for,
    series_named,
    supported_lines,
)


def write_series(root, name, patches=(), versions=None):
    folder = root / name
    folder.mkdir(parents=True)
    for patch in patches:
        (folder / patch).write_text(
            f"Subject: [PATCH] {patch}\n\n---\n"
            f"diff --git a/tests/{patch[:-6]}/x.py b/tests/{patch[:-6]}/x.py\n"
        )
    (folder / "series").write_text("".join(f"{p}\n" for p in patches))
    if versions:
        (folder / "versions").write_text(versions + "\n")
    return folder


def v(text):
    return Version(text)


@pytest.mark.parametrize("text", ["4.2.30", "4.1", "6.2a1", "6.2b1", "6.2rc1"])
def test_parse_version_accepts_releases(text):
    assert parse_version(text) == Version(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("four", "'four' is not a Django version number (try 4.2.30)."),
        ("5.0.dev0", "5.0.dev0 is a development version, not a release"),
        ("4.2.30+local", "4.2.30+local is not a Django release number (try 4.2.30)."),
    ],
)
def test_parse_version_rejects(text, message):
    with pytest.raises(ForkpatchError, match=re.escape(message)):
        parse_version(text)


def test_series_for_picks_the_line(tmp_path):
    write_series(tmp_path, "4.1.x", ["a.patch"])
    write_series(tmp_path, "4.2.x", ["b.patch", "c.patch"])
    series = series_for(v("4.2.30"), tmp_path)
    assert series.name == "4.2.x"
    assert series.label == f"{tmp_path.name}/4.2.x"
    assert [p.name for p in series.patches] == ["b.patch", "c.patch"]
    assert [p.subject for p in series.patches] == ["b.patch", "c.patch"]
    assert series.test_apps() == ["b", "c"]
    assert series_for(v("4.1"), tmp_path).name == "4.1.x"


def test_patches_are_parsed_once(tmp_path):
    write_series(tmp_path, "4.2.x", ["a.patch"])
    series = series_for(v("4.2"), tmp_path)
    first = series.patches
    (tmp_path / "4.2.x" / "series").write_text("")
    assert series.patches is first


def test_series_for_prefers_an_explicit_range(tmp_path):
    write_series(tmp_path, "4.1.x", ["a.patch"])
    write_series(tmp_path, "4.1.0-4.1.2", ["old.patch"], versions=">=4.1,<4.1.3")
    assert series_for(v("4.1.2"), tmp_path).name == "4.1.0-4.1.2"
    assert series_for(v("4.1.3"), tmp_path).name == "4.1.x"
    assert supported_lines(tmp_path) == [(4, 1)]


@pytest.mark.parametrize("text", ["6.2a1", "6.2b1", "6.2rc1", "6.2", "6.2.1"])
def test_a_line_folder_covers_its_pre_releases(tmp_path, text):
    write_series(tmp_path, "6.2.x", ["a.patch"])
    write_series(tmp_path, "main", ["m.patch"])
    assert series_for(v(text), tmp_path).name == "6.2.x"


def test_an_explicit_range_admits_pre_releases(tmp_path):
    write_series(tmp_path, "6.2.0-early", ["a.patch"], versions=">=6.2a1,<6.2.1")
    assert series_for(v("6.2b1"), tmp_path).name == "6.2.0-early"


def test_main_is_the_fallback_for_a_new_line_and_for_development(tmp_path):
    write_series(tmp_path, "6.1.x", ["a.patch"])
    write_series(tmp_path, "main", ["m.patch"])
    assert series_for(v("6.2a1"), tmp_path).name == "main"
    assert series_for(v("6.2.dev0"), tmp_path).name == "main"
    assert series_for(v("6.1.4.dev0"), tmp_path).name == "6.1.x"
    with pytest.raises(ForkpatchError, match="no patch series covers Django 6.2 "):
        series_for(v("6.2"), tmp_path)  # A final release never takes main.
    assert supported_lines(tmp_path) == [(6, 1)]
    assert series_named("main", tmp_path).kind == "main"


def test_series_for_unknown_line(tmp_path):
    write_series(tmp_path, "4.2.x")
    with pytest.raises(ForkpatchError) as info:
        series_for(v("3.2.25"), tmp_path)
    assert str(info.value) == "no patch series covers Django 3.2.25 (series: 4.2.x)."
    with pytest.raises(ForkpatchError, match="there is no series 'nope' in"):
        series_named("nope", tmp_path)


def test_series_lists_a_missing_patch(tmp_path):
    folder = write_series(tmp_path, "4.2.x", ["a.patch"])
    (folder / "a.patch").unlink()
    with pytest.raises(ForkpatchError, match="lists a.patch, which is not in"):
        series_for(v("4.2.1"), tmp_path).patches


def test_bad_versions_file(tmp_path):
    write_series(tmp_path, "odd", versions="not a specifier")
    with pytest.raises(ForkpatchError, match="is not a specifier"):
        all_series(tmp_path)


def test_digest_changes_with_content(tmp_path):
    folder = write_series(tmp_path, "4.2.x", ["a.patch"])
    before = series_for(v("4.2"), tmp_path).digest()
    (folder / "a.patch").write_text("changed\n")
    assert series_for(v("4.2"), tmp_path).digest() != before


def test_read_patch_names_the_files_and_their_status(tmp_path):
    path = tmp_path / "0001-x.patch"
    path.write_text(
        "From 0 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/2] [4.2.x] Fixed #1 --\n"
        " Wrapped.\n\n---\n"
        "diff --git a/django/a.py b/django/a.py\nindex 1..2 100644\n--- a/django/a.py\n"
        "diff --git a/tests/x/new.py b/tests/x/new.py\nnew file mode 100644\n"
        "diff --git a/docs/old.txt b/docs/old.txt\ndeleted file mode 100644\n"
    )
    patch = read_patch(path)
    assert patch.subject == "[4.2.x] Fixed #1 -- Wrapped."
    assert patch.files("modified") == ["django/a.py"]
    assert patch.files("new") == ["tests/x/new.py"]
    assert patch.files("deleted") == ["docs/old.txt"]
    path.write_text('Subject: [PATCH] X\n\n---\ndiff --git "a/dj ango" "b/dj ango"\n')
    with pytest.raises(ForkpatchError, match="cannot read the diff line"):
        read_patch(path)


def test_every_shipped_series_is_complete():
    """Each folder in patches/ lists its patches in order, all present, none extra."""
    shipped = all_series(ROOT / "patches")
    assert shipped, "patches/ holds no series"
    for series in shipped:
        listed = [p.name for p in series.patches]
        present = sorted(p.name for p in series.path.glob("*.patch"))
        assert listed == present, series.name
        assert listed, f"{series.name} is empty"
