"""Django's whole suite on a patched tree, compared with the pristine release.

The patched tree runs runtests.py in full (no labels, or the labels given after
--). The pristine tree, a git worktree at the tree's root commit (the sdist as
released), then runs with the same environment, Python, database and flags, but
only the tests that failed or errored on the patched run plus the test modules
of the series that the release already has: so the cost stays near one run.

Failing and erroring test ids are read from runtests' output at verbosity 2 (the
"name (id) ... FAIL" lines) and from unittest's "FAIL: ..." / "ERROR: ..."
headers. A test that failed patched but passed pristine is re-run alone on both
trees, interleaved, ROUNDS times: it stays new only if it failed every patched
re-run and passed every pristine one. Otherwise (a timing test under load fails
on both) it is reported as flaky, by name. New failures must be none.
"""

import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.runner import run_tests

log = logging.getLogger(__name__)

#: "test_x (app.tests.T.test_x) ... ok", perhaps with a subtest's description
#: between the id and " ... " (a test with a docstring has its outcome on the
#: next line: "First line of the docstring ... ok").
ID_RE = re.compile(r"^(?P<name>\w+) \((?P<where>[\w.]+)\)")
HEADER_RE = re.compile(
    r"^(?P<kind>FAIL|ERROR|UNEXPECTED SUCCESS): (?P<name>\w+) \((?P<where>[\w.]+)\)",
    re.MULTILINE,
)
PROCESSES_RE = re.compile(r"^Testing against Django .* with up to (\d+) processes", re.M)
FAILING = ("FAIL", "ERROR", "unexpected success")
#: Errors reported for a class or a module rather than a test.
FIXTURES = {"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"}

#: runtests.py options followed by a value (so that value is not a label).
VALUED = {
    "--settings", "-k", "--tag", "--exclude-tag", "--start-after", "--start-at",
    "-v", "--verbosity", "--selenium", "--selenium-hub", "--external-host",
    "--parallel", "--shuffle", "--screenshots",
}  # fmt: skip


def test_id(name, where):
    """The dotted id runtests.py accepts as a label, from unittest's description."""
    if name in FIXTURES or where.endswith(f".{name}"):
        return where
    return f"{where}.{name}"


@dataclass
class Results:
    ran: set = field(default_factory=set)
    failed: set = field(default_factory=set)
    processes: int = 1
    seconds: float = 0.0


def parse_results(text):
    """The test ids run and the ids that failed or errored, from runtests' output."""
    results = Results()
    pending = None
    for line in text.splitlines():
        head, dots, tail = line.partition(" ... ")
        match = ID_RE.match(head)
        if match:
            pending = test_id(match["name"], match["where"])
        if pending and dots:
            outcome = tail.strip()
            results.ran.add(pending)
            if outcome.startswith(FAILING):
                results.failed.add(pending)
            pending = None
    for match in HEADER_RE.finditer(text):
        results.failed.add(test_id(match["name"], match["where"]))
    processes = PROCESSES_RE.search(text)
    if processes:
        results.processes = int(processes[1])
    return results


def split_labels(extra):
    """runtests.py arguments as (labels, options): what the pristine run keeps."""
    labels, options = [], []
    previous = None
    for item in extra:
        if item.startswith("-") or previous in VALUED:
            options.append(item)
        else:
            labels.append(item)
        previous = item if item.startswith("-") and "=" not in item else None
    return labels, options


def series_test_modules(series, tree):
    """Test modules (app.module) the series adds or changes that exist in tree."""
    modules = set()
    for patch in series.patches:
        for change in patch.changes:
            path = Path(change.path)
            if (
                path.parts[0] == "tests"
                and len(path.parts) >= 3
                and path.suffix == ".py"
                and path.name.startswith("test")
                and (Path(tree) / path).is_file()
            ):
                modules.add(".".join(path.with_suffix("").parts[1:]))
    return sorted(modules)


@dataclass
class Comparison:
    new: list
    fixed: list
    both: list
    ran: int
    rerun: int
    flaky: list = field(default_factory=list)
    failed: int = 0
    processes: int = 1
    seconds_patched: float = 0.0
    seconds_reruns: float = 0.0


def compare(patched, pristine, again=((), ())):
    """New failures, tests the patch fixed, failures on both. With again (the
    new failures re-run alone: patched results, pristine results), a new failure
    stays new only if it failed every patched re-run and passed every pristine
    one; otherwise it is flaky (a timing test under load fails on both)."""
    new = patched.failed - pristine.failed
    patched_again, pristine_again = again
    flaky = {
        t
        for t in new
        if any(t in r.ran and t not in r.failed for r in patched_again)
        or any(t in r.failed for r in pristine_again)
    }
    return Comparison(
        new=sorted(new - flaky),
        flaky=sorted(flaky),
        fixed=sorted((pristine.failed - patched.failed) & patched.ran),
        both=sorted(patched.failed & pristine.failed),
        ran=len(patched.ran),
        rerun=len(pristine.ran),
        failed=len(patched.failed),
        processes=patched.processes,
        seconds_patched=patched.seconds,
        seconds_reruns=pristine.seconds
        + sum(r.seconds for runs in again for r in runs),
    )


def _run(build, tree, version, series, db, labels, extra, python, log_path, what):
    began = time.monotonic()
    status, _ = run_tests(
        build, tree, version, series, db, labels, extra, python,
        output=log_path, default_labels=False,
    )  # fmt: skip
    results = parse_results(log_path.read_text(errors="replace"))
    results.seconds = time.monotonic() - began
    if status and not results.failed:
        raise ForkpatchError(
            f"runtests.py on the {what} tree exited {status} without naming a "
            f"failing test; see {log_path}."
        )
    log.info(
        f"{what}: {len(results.ran)} tests, {len(results.failed)} failed or errored, "
        f"{results.seconds:.0f} s (output in {log_path})"
    )
    return results


def difftest(build, tree, version, series, db, extra=(), python=None):
    """Run the comparison; return a Comparison."""
    tree = Path(tree).resolve()
    root = git("rev-list", "--max-parents=0", "HEAD", cwd=tree).stdout.split()
    if len(root) != 1:
        raise ForkpatchError(f"{tree} has {len(root)} root commits; expected one.")
    folder = Path(build) / "difftest"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{version}-{db.vendor}"
    patched = _run(
        build, tree, version, series, db, [], list(extra), python,
        folder / f"{stem}-patched.log", "patched",
    )  # fmt: skip
    _, options = split_labels(list(extra))
    pristine_tree = folder / f"{stem}-pristine"  # One per database: runs may overlap.
    _remove_worktree(tree, pristine_tree)
    git("worktree", "add", "-q", "--detach", str(pristine_tree), root[0], cwd=tree)
    try:
        modules = series_test_modules(series, pristine_tree)
        labels = sorted(patched.failed | set(modules))
        if labels:
            log.info(
                f"pristine: re-running {len(patched.failed)} failing test(s) and "
                f"{len(modules)} module(s) the series changes"
            )
            pristine = _run(
                build, pristine_tree, version, series, db, labels, options, python,
                folder / f"{stem}-pristine.log", "pristine",
            )  # fmt: skip
        else:
            pristine = Results()
        comparison = compare(patched, pristine)
        if comparison.new:
            again = _again(
                build, (tree, pristine_tree), version, series, db, comparison.new,
                options, python, folder / stem,
            )  # fmt: skip
            comparison = compare(patched, pristine, again)
    finally:
        _remove_worktree(tree, pristine_tree)
    return comparison


#: How often a new failure is re-run alone on each tree, interleaved.
ROUNDS = 3


def _again(build, trees, version, series, db, tests, options, python, stem):
    """Re-run tests alone, patched then pristine, ROUNDS times: (patched, pristine)."""
    log.info(
        f"re-running the {len(tests)} new failure(s) alone, patched and pristine, "
        f"{ROUNDS} times"
    )
    runs = ([], [])
    for round_ in range(1, ROUNDS + 1):
        for tree, what, results in zip(trees, ("patched", "pristine"), runs):
            results.append(_run(
                build, tree, version, series, db, tests, options, python,
                Path(f"{stem}-{what}-again-{round_}.log"), f"{what} again",
            ))  # fmt: skip
    return runs


def _remove_worktree(tree, path):
    git("worktree", "remove", "--force", str(path), cwd=tree, check=False)
    shutil.rmtree(path, ignore_errors=True)
    git("worktree", "prune", cwd=tree, check=False)


def report(comparison, version, db):
    """The comparison as text, for stdout."""
    c = comparison
    lines = [
        f"Django {version} on {db.vendor}: {c.ran} tests run patched "
        f"({c.seconds_patched:.0f} s), {c.rerun} re-run pristine "
        f"(re-runs {c.seconds_reruns:.0f} s), up to {c.processes} processes",
    ]
    for title, ids in (
        ("new failures (failing only with the series)", c.new),
        ("flaky (re-run alone: passed patched or failed pristine)", c.flaky),
        ("fixed by the series (failing only without it)", c.fixed),
        ("failing on both (the environment)", c.both),
    ):
        lines.append(f"{title}: {len(ids)}")
        lines += [f"  {test}" for test in ids]
    return "\n".join(lines) + "\n"


def as_record(comparison, version, db, series, python, date):
    """The comparison as a row of docs/compatibility.md (compat.record_difftest)."""
    c = comparison
    return {
        "version": str(version),
        "database": db.vendor,
        "series": series.name,
        "digest": series.digest(),
        "python": python,
        "parallel": c.processes,
        "tests run": c.ran,
        "failed patched": c.failed,
        "re-run pristine": c.rerun,
        "new failures": len(c.new),
        "flaky": len(c.flaky),
        "fixed": len(c.fixed),
        "failing on both": len(c.both),
        "seconds patched": round(c.seconds_patched),
        "seconds re-runs": round(c.seconds_reruns),
        "date": date,
        "new ids": c.new,
        "flaky ids": c.flaky,
        "fixed ids": c.fixed,
        "both ids": c.both,
    }
