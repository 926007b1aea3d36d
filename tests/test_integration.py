"""End to end: every shipped series is checked out from real sdists and Django's own
suite runs on it, on SQLite, PostgreSQL and MariaDB.

For each line the series must apply to the line's first release and its newest one;
on the newest, runtests.py must pass for the apps the series touches plus the
untouched apps that exercise the same machinery.
"""

import re
import subprocess
import sys

import pytest
from conftest import require_database, snapshot

from forkpatch import sdist
from forkpatch.series import all_series, series_for
from forkpatch.tree import checkout, export

pytestmark = pytest.mark.integration

#: Untouched apps that exercise querysets, relations and prefetching.
UNTOUCHED = [
    "queries",
    "basic",
    "many_to_many",
    "generic_relations",
    "known_related_objects",
]

SERIES = all_series()


def covered_releases(series):
    """The releases on the index that this series (and no more specific one) covers."""
    return sorted(
        v for v in sdist.releases() if series.covers(v) and series_for(v) == series
    )


@pytest.fixture(scope="module", params=SERIES, ids=[s.name for s in SERIES])
def newest_tree(request, tmp_path_factory):
    series = request.param
    version = covered_releases(series)[-1]
    tree = checkout(
        str(version), tmp_path_factory.mktemp(series.name) / "tree", log=print
    )
    return series, version, tree


def forkpatch(*args):
    return subprocess.run(
        [sys.executable, "-m", "forkpatch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_series_applies_to_the_first_release(newest_tree, tmp_path):
    series, _, _ = newest_tree
    tree = checkout(str(covered_releases(series)[0]), tmp_path / "first", log=print)
    count = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=tree, capture_output=True, text=True
    ).stdout.strip()
    assert int(count) == len(series.patches) + 1


def test_checkout_then_export_changes_nothing(newest_tree):
    series, _, tree = newest_tree
    before = snapshot(series.path)
    export(tree, log=print)
    assert snapshot(series.path) == before


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_django_suite_passes(newest_tree, vendor):
    series, version, tree = newest_tree
    url = require_database(vendor)
    labels = sorted({"async", "prefetch_related", *series.test_apps(), *UNTOUCHED})
    proc = forkpatch("test", "--tree", str(tree), "--db", url, *labels)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, f"Django {version} on {vendor}:\n{tail}"
    ran = re.findall(r"^Ran (\d+) tests?", proc.stdout, re.MULTILINE)
    assert ran and int(ran[-1]) > 500, tail
    assert re.search(r"^OK\b", proc.stdout, re.MULTILINE), tail


def test_every_release_of_a_line_is_covered():
    for series in SERIES:
        if series.explicit:
            continue
        line = tuple(int(n) for n in series.name.split(".")[:2])
        for version in sdist.releases():
            if version.release[:2] == line:
                series_for(version)  # Raises if no series covers it.


def test_verify_prints_a_table():
    version = str(covered_releases(SERIES[-1])[-1])
    proc = forkpatch("verify", version)
    assert proc.returncode == 0, proc.stdout[-3000:]
    table = proc.stdout[proc.stdout.rindex("version  database") :].splitlines()
    assert re.fullmatch(r"version\s+database\s+tests run\s+result\s+seconds", table[0])
    assert re.fullmatch(
        rf"{re.escape(version)}\s+sqlite\s+\d+\s+passed\s+\d+", table[2]
    )
