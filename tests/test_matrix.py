"""noxfile.py and .github/workflows/matrix.yml: the sessions nox lists (from the
loopback index and a series tree of the test's own), the workflow's schema and
zizmor's audit. All offline; a tool that is not installed is a skip that says
how to get it (it is in the test extra)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write_series_folder

WORKFLOW = ROOT / ".github" / "workflows" / "matrix.yml"
EXTRA = "it is in the test extra: python -m pip install -e '.[test]'"


def tool(name):
    """The path of a command-line tool installed beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed; {EXTRA}")
    return found


def nox_list(index, tmp_path, *args):
    try:
        import nox  # noqa: F401
    except ImportError:
        pytest.skip(f"nox is not installed; {EXTRA}")
    patches = tmp_path / "patches"
    write_series_folder(patches, "4.1.x")
    write_series_folder(patches, "4.2.x")
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", ROOT / "noxfile.py", "-l", *args],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FORKPATCH_PATCHES": str(patches),
             "FORKPATCH_INDEX_URL": index.url},
    )  # fmt: skip


def test_nox_lists_test_and_difftest_sessions_of_the_newest_releases(index, tmp_path):
    proc = nox_list(index, tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    sessions = json.loads(proc.stdout)
    names = [s["session"] for s in sessions]
    assert sorted(names) == sorted(
        f"{command}-{version}-{db}"
        for command in ("test", "difftest")
        for version in ("4.1.13", "4.2.30")
        for db in ("sqlite", "postgres", "mysql")
    )
    described = {s["session"]: s["description"] for s in sessions}
    assert described["difftest-4.2.30-postgres"] == (
        "forkpatch difftest 4.2.30 --db postgres://postgres@127.0.0.1:5432/forkpatch"
    )
    assert described["test-4.1.13-mysql"] == (
        "forkpatch test 4.1.13 --db mysql://root@127.0.0.1:3306/forkpatch"
    )
    # What the workflow's first job makes of it: the matrix.
    text = WORKFLOW.read_text()
    script = re.search(r"python -c '([^']+)'", text)[1]
    matrix = subprocess.run(
        [sys.executable, "-c", script], input=proc.stdout, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert json.loads(matrix) == names
    listed = nox_list(index, tmp_path)
    assert "* test-4.2.30-sqlite [test,sqlite,4.2.30] -> forkpatch test 4.2.30" in (
        listed.stdout
    )


def test_the_workflow_follows_github_schema():
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         WORKFLOW],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_in_the_workflow():
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--min-severity", "medium", WORKFLOW],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_the_workflow_pins_actions_and_images_and_grants_nothing_by_default():
    text = WORKFLOW.read_text()
    assert re.search(r"^permissions: \{\}$", text, re.MULTILINE)
    uses = re.findall(r"uses: (\S+)", text)
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses)
    images = re.findall(r"image: (\S+)", text)
    assert [i.split(":")[0] for i in images] == ["postgres", "mariadb"]
    assert all(re.search(r"@sha256:[0-9a-f]{64}$", i) for i in images)
    assert "nox -l --json" in text and 'nox -s "$SESSION"' in text
