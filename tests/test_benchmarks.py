"""Smoke test of the benchmark suite (benchmarks/suite.py --quick).

It checks that every case runs and that aiterator() and iterator() make the
same queries; it asserts nothing about time. It needs a Django tree
(build/bench-trees/*, or FORKPATCH_BENCH_DJANGO=PATH) and an interpreter with
Django's requirements (build/bench-venvs/django-py3.12, a build/venvs/*
environment, or FORKPATCH_BENCH_PYTHON); without them it is skipped with a
message. The SQLAlchemy peer runs when build/bench-venvs/sqlalchemy-py3.12
exists. SQLite only, to stay well under a minute.
"""

import csv
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "benchmarks" / "suite.py"
REPORT = ROOT / "benchmarks" / "report.py"

pytestmark = pytest.mark.integration


def has_django_requirements(python):
    proc = subprocess.run(
        [str(python), "-c", "import asgiref, sqlparse"], capture_output=True
    )
    return proc.returncode == 0


def find_python():
    candidates = []
    if os.environ.get("FORKPATCH_BENCH_PYTHON"):
        candidates.append(Path(os.environ["FORKPATCH_BENCH_PYTHON"]))
    candidates.append(
        ROOT / "build" / "bench-venvs" / "django-py3.12" / "bin" / "python"
    )
    candidates += sorted((ROOT / "build" / "venvs").glob("*/bin/python"))
    candidates.append(Path(sys.executable))
    for python in candidates:
        if python.exists() and has_django_requirements(python):
            return python
    return None


def find_trees(python):
    """[(label, path)]: a stock and a patched tree of one release if there are."""
    if os.environ.get("FORKPATCH_BENCH_DJANGO"):
        return [("bench", Path(os.environ["FORKPATCH_BENCH_DJANGO"]))]
    trees = ROOT / "build" / "bench-trees"
    for release in ("5.2.19", "6.1.3", "4.2.30"):
        if release.startswith("6.") and "py3.11" in str(python):
            continue
        found = [
            (f"{release} {kind}", trees / f"{release}-{suffix}")
            for kind, suffix in (("stock", "stock"), ("patched", "current"))
            if (trees / f"{release}-{suffix}" / "django" / "__init__.py").exists()
        ]
        if found:
            return found
    return []


def make_trees(tmp_path):
    """Stock and patched 5.2.19 from its sdist, as forkpatch checkout makes them."""
    patched = tmp_path / "5.2.19-patched"
    subprocess.run(
        [sys.executable, "-m", "forkpatch", "checkout", "5.2.19", "--dest", patched],
        check=True,
        capture_output=True,
    )
    stock = tmp_path / "5.2.19-stock"
    stock.mkdir()
    root = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"],
        cwd=patched, check=True, capture_output=True, text=True,
    ).stdout.split()[0]  # fmt: skip
    archive = subprocess.run(
        ["git", "archive", root, "django"], cwd=patched, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", stock], input=archive, check=True)
    return [("5.2.19 stock", stock), ("5.2.19 patched", patched)]


def make_python(tmp_path):
    """An interpreter with Django's requirements, in a virtual environment."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "asgiref>=3.8.1", "sqlparse>=0.3.1"],
        check=True,
        capture_output=True,
    )
    return python


def test_quick_suite_runs_and_counts_match(tmp_path):
    # Without the benchmark's own trees and environments (a fresh clone, CI),
    # make them: the smoke test always runs.
    python = find_python() or make_python(tmp_path)
    trees = find_trees(python) or make_trees(tmp_path)
    command = [
        sys.executable,
        str(SUITE),
        "--quick",
        "--db",
        "sqlite",
        "--python",
        str(python),
        "--out",
        str(tmp_path / "out"),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    for label, path in trees:
        command += ["--django", str(path), "--label", label]
    sqlalchemy = ROOT / "build" / "bench-venvs" / "sqlalchemy-py3.12" / "bin" / "python"
    if sqlalchemy.exists():
        command += ["--sqlalchemy-python", str(sqlalchemy)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]

    with open(tmp_path / "out" / "raw.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert not [r for r in rows if r["metric"] == "error"], proc.stderr[-3000:]
    cases = {(r["label"], r["case"]) for r in rows}
    for label, _ in trees:
        for case in ("ratio", "concurrency", "memory", "cancel"):
            assert (label, case) in cases, (label, case)
    # aiterator() and iterator() make the same queries, case by case.
    queries = defaultdict(dict)
    for r in rows:
        if r["case"] == "ratio" and r["metric"] == "queries":
            queries[(r["label"], r["chunk_size"], r["streams"])][r["mode"]] = r["value"]
    supported = {k: v for k, v in queries.items() if "aiterator" in v}
    for key, counts in supported.items():
        assert counts["aiterator"] == counts["iterator"], (key, counts)
    unsupported = {
        r["label"]
        for r in rows
        if r["metric"] == "unsupported" and r["case"] == "ratio"
    }
    assert supported or unsupported
    # A connection cancelled in the middle of a prefetch is usable afterwards.
    usable = [r["value"] for r in rows if r["metric"] == "usable"]
    assert usable and set(usable) == {"1"}

    # The report turns the run into tables (and plots when matplotlib is there).
    has_mpl = subprocess.run(
        [str(python), "-c", "import matplotlib"], capture_output=True
    )
    report = [str(python), str(REPORT), str(tmp_path / "out")]
    if has_mpl.returncode:
        report.append("--no-plots")
    proc = subprocess.run(report, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tables = (tmp_path / "out" / "tables.md").read_text()
    assert "| chunk_size |" in tables
