"""forkpatch difftest: the whole suite patched, failures re-run pristine, compared.

The fake release's runtests.py fails the tests listed in tests/fake_failures.txt
of the tree it runs in (the sdist lists one; the series takes it out) and those
in FAKE_RUNTESTS_FAIL / FAKE_RUNTESTS_ERROR (failing on both trees).
"""

import json
import os
import re
import subprocess
import sys

import fakedjango
import pytest
from conftest import ROOT, commit, forkpatch, make_series, run_git
from packaging.version import Version

from forkpatch.difftest import compare, parse_results, split_labels

V = Version("4.2.30")

DJANGO_OUTPUT = """\
test_ok (basic.tests.ModelTests.test_ok) ... ok
test_old_style (basic.tests.ModelTests) ... FAIL
test_doc (queries.tests.Q.test_doc)
A docstring line. ... ERROR
test_sub (queries.tests.Q.test_sub) [x=1] ... FAIL
test_param (queries.tests.Q.test_param) (n=2) ... ERROR
Creating test database for alias 'other' ('test_x_other')...
System check identified no issues (0 silenced).
test_skip (queries.tests.Q.test_skip) ... skipped 'no'
test_xf (queries.tests.Q.test_xf) ... expected failure
test_us (queries.tests.Q.test_us) ... unexpected success
setUpClass (template_tests.tests.T) ... ERROR

======================================================================
ERROR: setUpClass (template_tests.tests.T)
----------------------------------------------------------------------
FAIL: test_header_only (cache.tests.C.test_header_only)
----------------------------------------------------------------------
Ran 9 tests in 0.1s

FAILED (failures=2, errors=2)
"""


def test_parse_results_reads_lines_and_headers():
    results = parse_results(DJANGO_OUTPUT)
    assert results.failed == {
        "basic.tests.ModelTests.test_old_style",
        "queries.tests.Q.test_doc",
        "queries.tests.Q.test_sub",
        "queries.tests.Q.test_param",
        "queries.tests.Q.test_us",
        "template_tests.tests.T",
        "cache.tests.C.test_header_only",
    }
    assert "basic.tests.ModelTests.test_ok" in results.ran
    assert "queries.tests.Q.test_skip" in results.ran
    assert "queries.tests.Q.test_xf" not in results.failed


def test_split_labels_keeps_options_and_their_values():
    labels, options = split_labels(
        ["basic", "--parallel", "2", "-k", "foo", "--noinput", "queries", "-v=2"]
    )
    assert labels == ["basic", "queries"]
    assert options == ["--parallel", "2", "-k", "foo", "--noinput", "-v=2"]


def test_compare():
    patched = parse_results("a (x.a) ... FAIL\nb (x.b) ... ok\nc (x.c) ... ERROR\n")
    pristine = parse_results("b (x.b) ... FAIL\nc (x.c) ... ERROR\na (x.a) ... ok\n")
    result = compare(patched, pristine)
    assert (result.new, result.fixed, result.both) == (["x.a"], ["x.b"], ["x.c"])


@pytest.fixture
def patches(stored, shared_venv, index, tmp_path, monkeypatch):
    sdist = fakedjango.sdist(
        "4.2.30",
        extra={"tests/fake_failures.txt": "prefetch_related.tests.test_prefetch\n"},
    )
    index.add("django", "django-4.2.30.tar.gz", sdist)
    root = stored("difftest", "patches", lambda root: make_series(
        root,
        "4.2.x",
        V,
        [("Fixed #1 -- Fixed prefetching.",
          {"tests/fake_failures.txt": lambda t: "",
           "tests/prefetch_related/tests.py":
               lambda t: t + "\n    def test_added(self):\n        pass\n"})],
        tmp_path,
    ))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return root


def test_no_new_failures(patches, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_RUNTESTS_FAIL", "async.tests.test_chunks")
    monkeypatch.setenv("FAKE_RUNTESTS_ERROR", "basic.tests.test_basic")
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--", "--parallel", "2")
    assert code == 0, err
    assert "running runtests.py --noinput --parallel 2 -v 2 in" in err
    assert "pristine: re-running 2 failing test(s) and 1 module(s)" in err
    assert (
        "running runtests.py async.tests.test_chunks basic.tests.test_basic "
        "prefetch_related.tests --noinput --parallel 2 -v 2" in err
    )
    lines = out.splitlines()
    assert re.fullmatch(
        r"Django 4\.2\.30 on sqlite: 5 tests run patched \(\d+ s\), 3 re-run "
        r"pristine \(re-runs \d+ s\), up to 1 processes",
        lines[0],
    )
    assert lines[1:] == [
        "new failures (failing only with the series): 0",
        "flaky (re-run alone: passed patched or failed pristine): 0",
        "fixed by the series (failing only without it): 1",
        "  prefetch_related.tests.test_prefetch",
        "failing on both (the environment): 2",
        "  async.tests.test_chunks",
        "  basic.tests.test_basic",
    ]
    build = tmp_path / "build"
    assert (build / "difftest" / "4.2.30-sqlite-patched.log").is_file()
    assert (build / "difftest" / "4.2.30-sqlite-pristine.log").is_file()
    assert not (build / "difftest" / "4.2.30-sqlite-pristine").exists()
    worktrees = run_git(build / "trees" / "4.2.30", "worktree", "list")
    assert len(worktrees.splitlines()) == 1


def test_compat_records_one_row_per_release_and_database(
    patches, tmp_path, capsys, monkeypatch
):
    compat = tmp_path / "docs" / "compatibility.md"
    compat.parent.mkdir()
    verified = "# Compatibility\n\n| version | series |\n|---|---|\n| 4.2.30 | 4.2.x |\n"
    compat.write_text(verified)
    monkeypatch.setenv("FAKE_RUNTESTS_FAIL", "async.tests.test_chunks")
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--compat", compat)
    assert code == 0, err
    assert f"forkpatch: recorded in {compat}" in err
    text = compat.read_text()
    # verify --all's part is untouched; difftest's follows it.
    assert text.startswith(verified + "\n## The whole suite, pristine against patched\n")
    rows = [line for line in text.splitlines() if line.startswith("| 4.2.30 | sqlite")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    # version, database, series, digest, python, parallel, tests run, failed
    # patched, re-run pristine, new, fixed, on both, seconds x2, date.
    assert cells[:3] == ["4.2.30", "sqlite", "4.2.x"]
    assert cells[4:13] == [python, "1", "5", "1", "2", "0", "0", "1", "1"]
    assert cells[13].isdigit() and cells[14].isdigit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", cells[15])
    assert "### Fixed by the series\n\n- 4.2.30 on sqlite:\n" in text
    assert "  - `prefetch_related.tests.test_prefetch`" in text
    assert "  - `async.tests.test_chunks`" in text
    assert "### New failures" not in text
    # A second run replaces the row rather than adding one.
    monkeypatch.delenv("FAKE_RUNTESTS_FAIL")
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--compat", compat)
    assert code == 0, err
    text = compat.read_text()
    assert len([x for x in text.splitlines() if x.startswith("| 4.2.30 |")]) == 2
    assert "async.tests.test_chunks" not in text
    records = json.loads(text.rsplit("<!-- difftest records: ", 1)[1][: -len(" -->\n")])
    assert [(r["version"], r["database"], r["failing on both"]) for r in records] == [
        ("4.2.30", "sqlite", 0)
    ]


@pytest.mark.parametrize("where", ["folder", "missing/compat.md", "broken"])
def test_a_bad_compat_file_is_refused_before_anything_runs(
    patches, tmp_path, capsys, where
):
    target = tmp_path / where
    if where == "folder":
        target.mkdir()
    elif where == "broken":
        target.write_text("## The whole suite, pristine against patched\n\n"
                          "<!-- difftest records: [{] -->\n")  # fmt: skip
    before = target.read_text() if target.is_file() else None
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--compat", target)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"forkpatch: error: --compat {target}: ")
    build = tmp_path / "build"
    assert not (build / "trees").exists()  # No checkout,
    assert not (build / "difftest").exists()  # and no run.
    assert (target.read_text() if target.is_file() else None) == before


def test_a_failure_in_the_full_run_only_is_flaky_not_new(
    patches, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("FAKE_RUNTESTS_FLAKY", "basic.tests.test_basic")
    compat = tmp_path / "compatibility.md"
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--compat", compat)
    assert code == 0, err
    assert "re-running the 1 new failure(s) alone, patched and pristine, 3 times" in err
    assert err.count("running runtests.py basic.tests.test_basic --noinput -v 2") == 6
    assert (
        "new failures (failing only with the series): 0\n"
        "flaky (re-run alone: passed patched or failed pristine): 1\n"
        "  basic.tests.test_basic\n"
    ) in out
    folder = tmp_path / "build" / "difftest"
    for n in (1, 2, 3):
        for what in ("patched", "pristine"):
            log = folder / f"4.2.30-sqlite-{what}-again-{n}.log"
            assert "test_basic (basic.tests.test_basic) ... ok" in log.read_text()
    text = compat.read_text()
    heading = "### Flaky: re-run alone, passed patched or failed pristine"
    assert f"{heading}\n\n- 4.2.30 on sqlite:\n" in text
    assert "  - `basic.tests.test_basic`" in text


def test_a_new_failure_exits_1(patches, tmp_path, capsys):
    assert forkpatch(capsys, "checkout", "4.2.30")[0] == 0
    tree = tmp_path / "build" / "trees" / "4.2.30"
    commit(
        tree,
        "Broke basic.",
        {"tests/fake_failures.txt": lambda t: "basic.tests.test_basic\n"},
    )
    code, out, err = forkpatch(capsys, "difftest", "4.2.30", "--", "basic", "async")
    assert code == 1, err
    assert "running runtests.py --noinput basic async -v 2" in err
    assert (
        "new failures (failing only with the series): 1\n  basic.tests.test_basic\n"
        in out
    )
    # The pristine run keeps the options, not the labels.
    assert (
        "running runtests.py basic.tests.test_basic prefetch_related.tests --noinput -v 2"
        in err
    )
    # prefetch_related did not run patched: its pristine failure is not "fixed".
    assert "fixed by the series (failing only without it): 0" in out


def test_a_crash_without_failing_tests_is_an_error(patches, capsys):
    code, _, err = forkpatch(capsys, "difftest", "4.2.30", "--", "nosuchapp")
    assert code == 2
    assert (
        "runtests.py on the patched tree exited 1 without naming a failing test" in err
    )


#: The line whose whole suite CI runs: the matrix's other runs are documented
#: commands with their results in docs/compatibility.md (it does not fit CI).
WHOLE_SUITE = "4.2.30"


@pytest.mark.integration
def test_the_whole_suite_of_one_line_has_no_new_failure(tmp_path):
    """4.2.30's complete runtests.py with the shipped series on SQLite, then the
    failures and the series' test modules pristine: no new failure."""
    build = tmp_path / "build"
    build.mkdir()
    venvs = ROOT / "build" / "venvs"
    venvs.mkdir(parents=True, exist_ok=True)
    (build / "venvs").symlink_to(venvs)  # Reuse the line's environment.
    compat = tmp_path / "compatibility.md"
    proc = subprocess.run(
        [sys.executable, "-m", "forkpatch", "difftest", WHOLE_SUITE,
         "--compat", str(compat)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "FORKPATCH_BUILD": str(build),
             "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "new failures (failing only with the series): 0" in proc.stdout
    assert f"running runtests.py --noinput -v 2 in {build}" in proc.stdout
    # The pristine run re-ran the series' test modules that the release has.
    assert "async.test_async_queryset" in proc.stdout
    assert "prefetch_related.tests" in proc.stdout
    patched = parse_results(
        (build / "difftest" / f"{WHOLE_SUITE}-sqlite-patched.log").read_text()
    )
    # The whole suite ran (4.2 has over 16,000 tests), the series' tests with it.
    assert len(patched.ran) > 15000
    assert any(t.startswith("prefetch_related.test_aiterator.") for t in patched.ran)
    [record] = json.loads(compat.read_text().rsplit("<!-- difftest records: ", 1)[1][:-5])
    assert (record["version"], record["database"], record["new failures"]) == (
        WHOLE_SUITE, "sqlite", 0
    )
    assert record["tests run"] == len(patched.ran)
