"""End to end with real releases: every shipped series is checked out from real
sdists and Django's own suite runs on it, on SQLite, PostgreSQL and MariaDB; the
real series go into a vendored package and onto a git clone; a refused login on
a real server is one line.

For each line the series must apply to the line's first release and its newest
one; on the newest, runtests.py must pass for the apps the series touches plus
the untouched apps that exercise the same machinery.
"""

import re
import shutil
import subprocess
import sys
import tarfile

import pytest
from conftest import ROOT, git_state, require_database, run_git, snapshot

from forkpatch import sdist
from forkpatch.series import all_series, read_patch, series_for
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

PATCHES = ROOT / "patches"
SERIES = [s for s in all_series(PATCHES) if s.kind != "main"]


def covered_releases(series):
    """The releases on the index that this series (and no more specific one) covers."""
    return sorted(
        v
        for v in sdist.releases()
        if series.covers(v) and not v.is_prerelease and series_for(v, PATCHES) == series
    )


@pytest.fixture(scope="module", params=SERIES, ids=[s.name for s in SERIES])
def newest_tree(request, tmp_path_factory):
    series = request.param
    version = covered_releases(series)[-1]
    tree = checkout(version, series, tmp_path_factory.mktemp(series.name) / "tree")
    return series, version, tree


def forkpatch(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "forkpatch", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
    )


def test_series_applies_to_the_first_release(newest_tree, tmp_path):
    series, _, _ = newest_tree
    tree = checkout(covered_releases(series)[0], series, tmp_path / "first")
    count = run_git(tree, "rev-list", "--count", "HEAD").strip()
    assert int(count) == len(series.patches) + 1


def test_checkout_then_export_changes_nothing(newest_tree):
    series, _, tree = newest_tree
    before = snapshot(series.path)
    export(tree, series.path, source=series)
    assert snapshot(series.path) == before


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_django_suite_passes(newest_tree, vendor):
    series, version, tree = newest_tree
    url = require_database(vendor)
    labels = sorted({"async", "prefetch_related", *series.test_apps(), *UNTOUCHED})
    proc = forkpatch("test", "--tree", tree, "--db", url, *labels)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, f"Django {version} on {vendor}:\n{tail}"
    ran = re.findall(r"^Ran (\d+) tests?", proc.stdout, re.MULTILINE)
    assert ran and int(ran[-1]) > 500, tail
    assert re.search(r"^OK\b", proc.stdout, re.MULTILINE), tail


def test_every_release_of_a_line_is_covered():
    for series in SERIES:
        if series.kind != "line":
            continue
        line = tuple(int(n) for n in series.name.split(".")[:2])
        for version in sdist.releases():
            if version.release[:2] == line:
                series_for(version, PATCHES)  # Raises if no series covers it.


def test_verify_prints_a_table():
    version = str(covered_releases(SERIES[-1])[-1])
    proc = forkpatch("verify", version)
    assert proc.returncode == 0, proc.stdout[-3000:]
    table = proc.stdout[proc.stdout.rindex("version  database") :].splitlines()
    assert re.fullmatch(r"version\s+database\s+tests run\s+result\s+seconds", table[0])
    assert re.fullmatch(
        rf"{re.escape(version)}\s+sqlite\s+\d+\s+passed\s+\d+", table[2]
    )


def test_a_refused_login_on_a_real_server_is_one_line(newest_tree):
    require_database("postgresql")
    _, _, tree = newest_tree
    proc = forkpatch(
        "test", "--tree", tree, "--db", "postgres://nobody@127.0.0.1:5432/x"
    )
    assert proc.returncode == 2
    errors = [line for line in proc.stdout.splitlines() if "error" in line.lower()]
    assert errors == [errors[0]] and errors[0].startswith("forkpatch: error: ")
    assert "refused the login as nobody" in errors[0]
    assert "Traceback" not in proc.stdout


def test_a_missing_database_on_mariadb_is_one_line(tmp_path):
    """Django's test models query the URL's database at import on MySQL and
    MariaDB: one line that says to create it, before anything runs."""
    url = require_database("mysql")
    version = sdist.newest((4, 2))
    tree = checkout(version, series_for(version, PATCHES), tmp_path / "tree")
    missing = url.rsplit("/", 1)[0] + "/forkpatch_no_such_db"
    before = snapshot(tree / "django"), snapshot(tree / "tests"), git_state(tree)
    proc = forkpatch("test", "--tree", tree, "--db", missing)
    assert proc.returncode == 2, proc.stdout[-3000:]
    errors = [line for line in proc.stdout.splitlines() if "error" in line.lower()]
    assert errors == [errors[0]] and errors[0].startswith("forkpatch: error: ")
    assert "has no database forkpatch_no_such_db" in errors[0]
    assert "CREATE DATABASE `forkpatch_no_such_db`" in errors[0]
    assert "Traceback" not in proc.stdout and "runtests" not in proc.stdout
    assert (snapshot(tree / "django"), snapshot(tree / "tests"), git_state(tree)) == before


def test_the_real_series_goes_into_a_vendored_package(tmp_path):
    version = sdist.newest((4, 2))
    project = tmp_path / "project"
    with tarfile.open(sdist.fetch(version)) as tar:
        top = f"django-{version}/"
        members = [m for m in tar.getmembers() if m.name.startswith(top + "django/")]
        for member in members:
            member.name = "vendor/" + member.name[len(top) :]
        tar.extractall(project, members=members, filter="data")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Vendored Django"]):
        run_git(project, "-c", "user.name=t", "-c", "user.email=t@users.dev", *args)
    proc = forkpatch("vendor", project / "vendor")
    assert proc.returncode == 0, proc.stdout
    assert "applied patches/4.2.x (" in proc.stdout
    init = (project / "vendor" / "django/db/models/__init__.py").read_text()
    assert "aprefetch_related_objects" in init
    last = read_patch(series_for(version, PATCHES).patches[-1].path)
    assert run_git(project, "log", "-1", "--format=%s").strip() == last.subject
    proc = forkpatch("vendor", project / "vendor")
    assert "patches/4.2.x is already applied to " in proc.stdout


def test_checkout_git_onto_a_clone_of_the_newest_release(tmp_path):
    """The newest line's series onto a git repository made from its real sdist."""
    series = SERIES[-1]
    version = covered_releases(series)[-1]
    clone = tmp_path / "django"
    with tarfile.open(sdist.fetch(version)) as tar:
        tar.extractall(tmp_path, filter="data")
    (tmp_path / f"django-{version}").rename(clone)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "Django"],
    ):
        run_git(
            clone, "-c", "user.name=Robin", "-c", "user.email=robin@users.dev", *args
        )
    proc = forkpatch("checkout", "--git", clone)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith(f"forkpatch/{series.name}")
    assert int(run_git(clone, "rev-list", "--count", "main..HEAD")) == len(
        series.patches
    )
    # Applying it again conflicts on the branch's own commits: nothing changes.
    run_git(clone, "checkout", "-q", "-b", "again")
    run_git(clone, "branch", "-q", "-D", f"forkpatch/{series.name}")
    before = git_state(clone)
    proc = forkpatch("checkout", "--git", clone)
    assert proc.returncode == 2
    assert git_state(clone) == before
    shutil.rmtree(clone)
