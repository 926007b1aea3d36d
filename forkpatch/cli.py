"""The forkpatch command line: every parser, every command and its help.

Each command resolves its inputs once (the Django Version, the Series with its
patches, the Database) and passes those objects to the domain modules, which
never import this one.
"""

import argparse
import datetime
import logging
import shutil
import sys
import time
from pathlib import Path

from packaging.version import Version

from forkpatch import (
    __version__,
    clone,
    compat,
    difftest,
    rebase,
    sdist,
    tickets,
    vendor,
)
from forkpatch.database import check_reachable, parse_db
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.paths import build_dir, compatibility_file, patches_dir
from forkpatch.pythons import find_python, version_of
from forkpatch.runner import check_driver, run_tests
from forkpatch.series import (
    parse_version,
    series_for,
    series_named,
    supported_lines,
)
from forkpatch.tree import checkout, default_dest, export, pristine_root, read_version
from forkpatch.wheel import build_wheel, local_label

log = logging.getLogger("forkpatch")

DESCRIPTION = """\
Patch series that make Django's QuerySet.aiterator() honour prefetch_related()
chunk by chunk, and the tool that builds, tests and exports them.

Typical use:
  forkpatch verify                      check out and test the newest release of
                                        every supported line on SQLite
  forkpatch checkout 4.2.30             make build/trees/4.2.30 (sdist + git am)
  forkpatch test 4.2.30 --db postgres://postgres@127.0.0.1:5432/forkpatch
  forkpatch export build/trees/4.2.30   write the tree's commits to patches/4.2.x

The series come from --patches DIR, else FORKPATCH_PATCHES, else the ones that
ship with forkpatch; each command says which. The package index is
FORKPATCH_INDEX_URL (else PIP_INDEX_URL, else PyPI), for release lists,
downloads and every pip install.
"""

VERSION_HELP = "a Django release, e.g. 4.2.30 (pre-releases too: 6.2a1, 6.2rc1)"
DB_HELP = (
    "sqlite (default), postgres://USER@HOST:PORT/NAME or mysql://USER@HOST:PORT/NAME; "
    "test databases are named test_NAME_VERSION"
)
DEST_HELP = "where to make the tree (default: build/trees/VERSION)"
GIT_HELP = "apply the series to this Django git clone instead"
REF_HELP = "with --git: the commit to branch from (default HEAD)"
SERIES_HELP = "the series folder to apply (e.g. main, 6.1.x)"
TEST_VERSION_HELP = (
    "a Django release; its tree is build/trees/VERSION, checked out if missing "
    "(with --tree, a first LABEL)"
)
LABEL_HELP = (
    "test labels for runtests.py (default: async, prefetch_related and the apps "
    "the series touches)"
)
TREE_HELP = (
    "test this tree: a checkout, or a clone made by checkout --git "
    "(default: build/trees/VERSION)"
)
PYTHON_HELP = (
    "interpreter to use (default: one the release supports; env FORKPATCH_PYTHON)"
)

CHECKOUT_DESCRIPTION = """\
Download Django VERSION's sdist (checked against the sha256 the package index
publishes, then cached), commit it pristine in a new git repository and apply
the release line's series with git am, one commit per patch. Prints the tree's
path. Nothing is left behind on failure.

With --git DIR, apply a series to an existing Django git clone instead (a
contributor's clone of main, say): a new branch forkpatch/<series> is made from
REF (default HEAD) and the series goes onto it with git am --3way, committed
with your own git identity. The series is the one covering the clone's
django/__init__.py version (a development version such as 6.2.dev takes the
series folder named main), or --series NAME. On a conflict the clone is left
exactly as it was. Then: forkpatch test --tree DIR.
"""

TEST_DESCRIPTION = """\
Run the tree's tests/runtests.py in a virtual environment made for the release
(a Python it supports, its requirements and the database driver). Default
labels: async, prefetch_related and every app the series touches. Arguments
after -- go to runtests.py (e.g. -- --parallel 1). Exits with runtests' status.

Before anything is set up, the database server must answer and a driver that
is compiled on install (mysqlclient) must find pkg-config and its headers;
then a login with the URL's user is tried.
"""

TEST_HELP = "run Django's own runtests.py on a patched tree"
DIFFTEST_HELP = (
    "run Django's whole suite patched, and compare its failures with pristine"
)

DIFFTEST_DESCRIPTION = """\
Run Django's complete tests/runtests.py (no labels) on the patched tree of
VERSION (build/trees/VERSION, checked out if missing), then on the pristine
release (a git worktree at the tree's root commit, with the same environment,
Python, database, flags and parallelism) only the tests that failed or errored
on the patched run, plus the test modules the series changes. Arguments after
-- go to both runs (labels there restrict the patched run: -- basic queries).

Reports the new failures (failing only with the series: there must be none),
the tests the series fixed, and the failures on both (the environment). Exits 1
on any new failure. Output: build/difftest/VERSION-DATABASE-{patched,pristine}.log.
With --compat FILE, the counts, seconds and failing ids also become the row of
this release and database in FILE's whole-suite table.
"""
REBASE_HELP = "move a series onto another release (git am --3way), then export it"

REBASE_DESCRIPTION = """\
Apply the series folder SERIES (e.g. 4.2.x) to Django VERSION's pristine sdist
with git am --3way in a scratch tree under build/; the files of the release the
series was made on (--from, default the newest release it covers other than
VERSION) are given to git so that it can merge. On success the result is
exported into the series folder (or --out), each file reported new, changed or
removed. On a conflict it names the patch and the files, and changes nothing.
"""

OUTDATED_HELP = (
    "list the releases docs/compatibility.md has not seen, and whether each "
    "series applies"
)

OUTDATED_DESCRIPTION = """\
List every release on the package index, from the oldest line a series folder
covers on, that has no row in docs/compatibility.md (--compat FILE; all of them
if the file does not exist), with the series that covers it and whether that
series still applies (git apply --check, patch by patch, on the release's sdist
in a scratch tree). A series that does not apply is named with its patch and
the file. Exits 1 if any does not apply.
"""

VERIFY_HELP = "check out and test releases, and print a summary table"
EXPORT_HELP = "write a tree's commits back to its series folder"

VERIFY_DESCRIPTION = """\
For each VERSION (default: the newest release of every line the series cover):
a fresh checkout under build/verify/, then runtests.py with the default labels
on each --db, its output in build/verify/VERSION-DATABASE.log while a status
line counts the tests. Prints version, database, tests run, result and seconds
(the whole row: checkout, environment and tests); exits non-zero if any run
failed. The first run of every line costs most: about 8.5 minutes, 1.7 GB
under build/ and 164 MB of downloads in the cache, for all eight lines.

With --all: every final release of every line on the index that a series
covers, one after the other (each tree removed once tested; the virtual
environment of each line and the sdist cache are reused), then the generated
table docs/compatibility.md (--compat FILE): one row per release and database
with series, series digest, tests run, result and seconds, and the date, total
time and command. Over a hundred releases: expect an hour or more.
"""

EXPORT_DESCRIPTION = """\
Write the commits on top of the pristine sdist as git format-patch files and a
series file into the series folder of the tree's release (or --out). A
checkout followed by an export changes nothing; a patch whose only change is
its [PATCH n/m] counter is left as it was. Each file is reported new, changed
or removed; a new --out folder gets the series' local-version file, and when
the series changed you are reminded to bump it.

--ticket NAME=NUMBER fills in a ticket number first: commit subjects written
as "Fixed #NAME -- ..." and docs saying :ticket:`NAME` get the number, in the
messages and the files of every commit of the tree (NAME is upper-cased), so
tree and patches stay consistent. A NAME no commit mentions is an error, and
nothing is changed.

Commits keep their authors; a commit whose author address is a placeholder
(@example.com, @localhost) gets a warning.
"""

VENDOR_HELP = (
    "apply the release's patch series to a vendored Django (or a Django checkout)"
)

VENDOR_DESCRIPTION = """\
Apply the patch series of PATH's Django release to PATH, the folder that holds
the django package: a project's vendor folder (myproject/vendor with django/ in
it) or a Django checkout (django/, tests/, docs/ at its top). The release is read
from django/__init__.py.

What goes in:
  - a full Django checkout (PATH has tests/runtests.py): the whole series;
  - the django package only: only the hunks under django/. The series' tests and
    docs are left out, and a patch that changes nothing under django/ is skipped;
    the output says so.

How:
  - PATH's files are tracked by git (PATH may be a subfolder of your project's
    repository): git am --3way --directory=<PATH from the repository top>
    [--include=<PATH>/django/*], one commit per patch with the patch's author
    and message. Your working tree under PATH must be clean and the index must
    have nothing staged.
  - otherwise: the files under PATH are changed in place (git apply), no commits.

All or nothing: every patch is first applied to a scratch copy (a temporary git
index, or a temporary folder); PATH is touched only if the whole series goes in.
On a conflict, uncommitted changes, or a folder that is not a supported Django,
it stops with a one-line message naming the patch and the file, and every file
is as it was. A series that is already applied is reported and left alone.

--reverse takes the series out again: in git as new commits, one per patch,
newest first (Revert "<subject>"), so history is never rewritten; elsewhere by
changing the files back.
"""

VENDOR_EPILOG = """\
examples:
  forkpatch vendor myproject/vendor --check   say what would happen
  forkpatch vendor myproject/vendor           apply (commits if in git)
  forkpatch vendor myproject/vendor --reverse take the series out again
"""

WHEEL_HELP = "build a reproducible wheel of a patched Django release"

WHEEL_DESCRIPTION = """\
Build a wheel of Django VERSION with its release line's patch series applied:
the sdist plus the series is checked out in a temporary folder (as forkpatch
checkout does) and built there. Prints the wheel's path.

Local version (PEP 440): VERSION+LABEL, e.g. 4.2.30+{label}. LABEL is
the first line of patches/<line>/local-version if the series folder has that
file (bump it whenever the series changes), else
aiterprefetch.<number of patches in the series>. The installed package reports
it everywhere: django.__version__, django.get_version(), python -m django
--version and importlib.metadata.version("django"). The build copy's
django/utils/version.py also records the series name and digest
(FORKPATCH_SERIES, FORKPATCH_DIGEST). The series itself is not changed.

Reproducible: the same release, series and forkpatch give the same bytes. The
build runs python -m build --wheel --no-isolation in build/venvs/wheel-build-*
with pinned setuptools, wheel and build; the wheel package dates every entry
SOURCE_DATE_EPOCH (set to the newest patch's date) and orders them, and every
file is given mode 644 or 755 first.

A wheel of that name already in DIR with other contents is an error (the
series changed without a new LABEL); with the same contents it is left as is.
Nothing is written to DIR unless the build succeeds.
"""

WHEEL_EPILOG = """\
example:
  forkpatch wheel 4.2.30 -o dist/
  python -m pip install dist/django-4.2.30+{label}-py3-none-any.whl
"""


class _Stderr(logging.Handler):
    """forkpatch: MESSAGE on whatever sys.stderr is when the message comes."""

    def emit(self, record):
        level = "warning: " if record.levelno >= logging.WARNING else ""
        sys.stderr.write(f"forkpatch: {level}{record.getMessage()}\n")
        sys.stderr.flush()


def _setup_logging():
    for handler in list(log.handlers):
        if isinstance(handler, _Stderr):
            log.removeHandler(handler)
    log.addHandler(_Stderr())
    log.setLevel(logging.INFO)


def _series_root(args):
    root, how = patches_dir(args.patches)
    if not root.is_dir():
        raise ForkpatchError(f"the series folder {root} ({how}) does not exist.")
    log.info(f"series from {root} ({how})")
    return root


def _tree_series(tree, root):
    """The series a tree was made with (recorded by checkout), else its version's."""
    version = read_version(tree)
    name = git("config", "forkpatch.series", cwd=tree, check=False).stdout.strip()
    return version, series_named(name, root) if name else series_for(version, root)


def cmd_checkout(args):
    root = _series_root(args)
    if args.git:
        version = clone.clone_version(args.git, args.ref)
        series = (
            series_named(args.series, root)
            if args.series
            else series_for(version, root)
        )
        branch = clone.apply_to_clone(args.git, series, args.ref)
        log.info(
            f"{args.git} (Django {version}) is on {branch} with {series.label}; "
            f"run its tests with: forkpatch test --tree {args.git}"
        )
        print(branch)
        return 0
    version = parse_version(args.version)
    series = (
        series_named(args.series, root) if args.series else series_for(version, root)
    )
    dest = Path(args.dest) if args.dest else default_dest(build_dir(), version)
    print(checkout(version, series, dest))
    return 0


def _split_runtests_args(items):
    """LABELs, then (after --) runtests.py's own options, which start with a dash."""
    for at, item in enumerate(items):
        if item.startswith("-"):
            return items[:at], items[at:]
    return items, []


def cmd_test(args):
    labels, extra = _split_runtests_args(
        [*([args.version] if args.version else []), *args.labels]
    )
    if not args.tree:
        if not labels:
            raise ForkpatchError("test needs a VERSION or --tree DIR.")
        version = parse_version(labels.pop(0))
    db = parse_db(args.db)
    check_reachable(db)
    check_driver(db)
    root = _series_root(args)
    build = build_dir()
    if args.tree:
        tree = Path(args.tree)
        version, series = _tree_series(tree, root)
    else:
        series = series_for(version, root)
        tree = default_dest(build, version)
        if not tree.exists():
            log.info(f"{tree} does not exist yet: checking it out")
            checkout(version, series, tree)
        else:
            recorded = git("config", "forkpatch.digest", cwd=tree, check=False)
            if recorded.stdout.strip() not in ("", series.digest()):
                log.info(
                    f"note: {series.label} changed since {tree} was checked out; "
                    "testing the tree as it is (export it, or check it out again)"
                )
    status, _ = run_tests(build, tree, version, series, db, labels, extra, args.python)
    return status


def _tree_of(version, root, build):
    """build/trees/VERSION, checked out with its series if missing."""
    series = series_for(version, root)
    tree = default_dest(build, version)
    if not tree.exists():
        log.info(f"{tree} does not exist yet: checking it out")
        checkout(version, series, tree)
    return series, tree


def cmd_difftest(args):
    version = parse_version(args.version)
    db = parse_db(args.db)
    check_reachable(db)
    check_driver(db)
    if args.compat:
        compat.check(args.compat)
    root = _series_root(args)
    build = build_dir()
    series, tree = _tree_of(version, root, build)
    comparison = difftest.difftest(
        build, tree, version, series, db, args.runtests_args, args.python
    )
    print(difftest.report(comparison, version, db), end="")
    if args.compat:
        python = ".".join(map(str, version_of(str(find_python(tree, args.python)))))
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        record = difftest.as_record(comparison, version, db, series, python, date)
        log.info(f"recorded in {compat.record_difftest(args.compat, record)}")
    return 1 if comparison.new else 0


def cmd_rebase(args):
    root = _series_root(args)
    series = series_named(args.series, root)
    version = parse_version(args.version)
    sdist.release(version)  # Fails early, naming what the index has.
    source = parse_version(args.source) if args.source else None
    out = Path(args.out) if args.out else None
    print(rebase.rebase(build_dir(), series, version, source, out))
    return 0


def cmd_outdated(args):
    root = _series_root(args)
    path = Path(args.compat) if args.compat else compatibility_file()
    log.info(
        f"releases without a row in {path}"
        + ("" if path.is_file() else " (it does not exist: every release)")
    )
    checks = rebase.outdated(build_dir(), root, path)
    rows = [
        (
            str(c.version),
            c.series or "-",
            (
                "applies"
                if not c.problem
                else c.problem if not c.series else f"does not apply: {c.problem}"
            ),
        )  # fmt: skip
        for c in checks
    ]
    header = ("version", "series", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if not rows:
        print("(none: every release on the index has a row)")
    return 1 if any(c.series and c.problem for c in checks) else 0


def _every_release(root):
    """Every final release on the index that a series folder covers, oldest first."""
    found = []
    for version in sorted(sdist.releases()):
        if version.is_prerelease:
            continue
        try:
            series_for(version, root)
        except ForkpatchError:
            continue
        found.append(version)
    if not found:
        raise ForkpatchError("no release on the package index is covered by a series.")
    return found


def cmd_verify(args):
    root = _series_root(args)
    if args.all and args.versions:
        raise ForkpatchError("verify takes VERSIONs or --all, not both.")
    if args.all:
        versions = _every_release(root)
    elif args.versions:
        versions = [parse_version(v) for v in args.versions]
    else:
        versions = [sdist.newest(line) for line in supported_lines(root)]
    databases = [parse_db(db) for db in (args.db or ["sqlite"])]
    for db in databases:
        check_reachable(db)
        check_driver(db)
    build = build_dir()
    rows, records = [], []
    started, began = datetime.datetime.now(datetime.timezone.utc), time.monotonic()
    for number, version in enumerate(versions, 1):
        start = time.monotonic()
        series = series_for(version, root)
        tree = build / "verify" / str(version)
        shutil.rmtree(tree, ignore_errors=True)
        log.info(
            f"Django {version} ({number}/{len(versions)}): checking out {series.label}"
        )
        try:
            checkout(version, series, tree)
        except ForkpatchError as exc:
            seconds = f"{time.monotonic() - start:.0f}"
            rows += [(str(version), db.vendor, "0", f"ERROR: {exc}", seconds)
                     for db in databases]  # fmt: skip
        else:
            for db in databases:
                output = build / "verify" / f"{version}-{db.vendor}.log"
                try:
                    status, ran = run_tests(
                        build, tree, version, series, db, python=args.python,
                        output=output,
                    )  # fmt: skip
                    result = (
                        "passed" if status == 0 else f"FAILED (exit {status}; {output})"
                    )
                except ForkpatchError as exc:
                    ran, result = 0, f"ERROR: {exc}"
                # A row's seconds run from where the previous row ended: the first
                # row of a release includes its checkout, every row its environment.
                end = time.monotonic()
                rows.append(
                    (str(version), db.vendor, str(ran), result, f"{end - start:.0f}")
                )
                start = end
            if args.all:
                shutil.rmtree(tree, ignore_errors=True)  # 100+ trees do not fit.
        for row in rows[len(records) :]:
            records.append(dict(zip(
                ("version", "database", "tests run", "result", "seconds"), row
            ), series=series.name, digest=series.digest()))  # fmt: skip
    print_table(rows)
    if args.all:
        path = Path(args.compat) if args.compat else compatibility_file()
        command = " ".join(
            ["forkpatch verify --all"]
            + [f"--db {db}" for db in args.db or []]
            + ([f"--python {args.python}"] if args.python else [])
        )
        compat.write(path, records, started, time.monotonic() - began, command)
        log.info(f"wrote {path}")
    return 0 if all(row[3] == "passed" for row in rows) else 1


def print_table(rows):
    """version, database, tests run, result, seconds: one line a row."""
    header = ("version", "database", "tests run", "result", "seconds")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def cmd_export(args):
    root = _series_root(args)
    tree = Path(args.tree)
    filled = dict(tickets.parse_ticket(text) for text in args.ticket or [])
    if not (tree / ".git").exists():
        raise ForkpatchError(f"{tree} is not a git tree made by forkpatch checkout.")
    try:
        _, series = _tree_series(tree, root)
    except ForkpatchError:
        if not args.out:
            raise
        series = None  # --out names the folder; no series of ours needed.
    if filled:
        tickets.fill_tickets(tree, pristine_root(tree), filled)
    export(tree, Path(args.out) if args.out else series.path, source=series)
    return 0


def cmd_vendor(args):
    target = vendor.inspect_target(args.path)
    series = series_for(target.version, _series_root(args))
    print(vendor.run(target, series, check=args.check, reverse=args.reverse))
    return 0


def cmd_wheel(args):
    version = parse_version(args.version)
    series = series_for(version, _series_root(args))
    build = build_dir()
    outdir = Path(args.output) if args.output else build / "wheels"
    print(build_wheel(build, version, series, outdir))
    return 0


def _example_label():
    """The local version label of the shipped 4.2.x series, for the help's example."""
    try:
        root, _ = patches_dir()
        return local_label(series_for(Version("4.2.30"), root))
    except (ForkpatchError, OSError):
        return "aiterprefetch.1"


PASS_HELP = "after --: arguments for both runs of runtests.py (e.g. --parallel 2)"
FROM_HELP = "the release the series was made on (default: the newest it covers)"
CHECKOUT_USAGE = (
    "forkpatch checkout [-h] VERSION [--dest DIR] [--series NAME]\n"
    "       forkpatch checkout [-h] --git DIR [--ref REF] [--series NAME]"
)

TEST_USAGE = (
    "forkpatch test [-h] [--db URL] [--tree DIR] [--python PATH] "
    "[VERSION] [LABEL ...] [-- RUNTESTS-ARGS ...]"
)

DIFFTEST_USAGE = (
    "forkpatch difftest [-h] [--db URL] [--python PATH] [--compat FILE] VERSION "
    "[-- RUNTESTS-ARGS ...]"
)
DIFFTEST_COMPAT_HELP = (
    "also record the result as this release and database's row of FILE's "
    "whole-suite table (e.g. docs/compatibility.md); other rows are kept"
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="forkpatch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    patches_help = (
        "the folder of series to use (default: env FORKPATCH_PATCHES, else the "
        "series shipped with forkpatch)"
    )
    parser.add_argument("--patches", metavar="DIR", help=patches_help)
    # Also after the command (forkpatch checkout 4.2.30 --patches DIR).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--patches", metavar="DIR", default=argparse.SUPPRESS, help=patches_help
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help, description, epilog=None, usage=None):
        p = sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=epilog,
            usage=usage,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    def environment_options(p):
        """--db and --python, for the commands that run Django's tests."""
        p.add_argument("--db", default="sqlite", metavar="URL", help=DB_HELP)
        p.add_argument("--python", metavar="PATH", help=PYTHON_HELP)

    p = command(
        "checkout",
        cmd_checkout,
        "make the patched source tree of a Django release (or patch a Django clone)",
        CHECKOUT_DESCRIPTION,
        usage=CHECKOUT_USAGE,
    )
    p.add_argument("version", metavar="VERSION", nargs="?", help=VERSION_HELP)
    p.add_argument("--dest", metavar="DIR", help=DEST_HELP)
    p.add_argument("--git", metavar="DIR", help=GIT_HELP)
    p.add_argument("--ref", default="HEAD", help=REF_HELP)
    p.add_argument("--series", metavar="NAME", help=SERIES_HELP)

    p = command("test", cmd_test, TEST_HELP, TEST_DESCRIPTION, usage=TEST_USAGE)
    p.add_argument("version", metavar="VERSION", nargs="?", help=TEST_VERSION_HELP)
    p.add_argument("labels", metavar="LABEL", nargs="*", help=LABEL_HELP)
    environment_options(p)
    p.add_argument("--tree", metavar="DIR", help=TREE_HELP)

    p = command(
        "difftest",
        cmd_difftest,
        DIFFTEST_HELP,
        DIFFTEST_DESCRIPTION,
        usage=DIFFTEST_USAGE,
    )
    p.add_argument("version", metavar="VERSION", help=VERSION_HELP)
    p.add_argument("runtests_args", metavar="RUNTESTS-ARGS", nargs="*", help=PASS_HELP)
    environment_options(p)
    p.add_argument("--compat", metavar="FILE", help=DIFFTEST_COMPAT_HELP)

    p = command("rebase", cmd_rebase, REBASE_HELP, REBASE_DESCRIPTION)
    p.add_argument("series", metavar="SERIES", help="a series folder, e.g. 4.2.x")
    p.add_argument("version", metavar="VERSION", help=VERSION_HELP)
    p.add_argument("--from", dest="source", metavar="VERSION", help=FROM_HELP)
    p.add_argument(
        "--out", metavar="DIR", help="export here instead of the series folder"
    )

    p = command("outdated", cmd_outdated, OUTDATED_HELP, OUTDATED_DESCRIPTION)
    p.add_argument(
        "--compat",
        metavar="FILE",
        help="the compatibility table (default: docs/compatibility.md)",
    )

    p = command("verify", cmd_verify, VERIFY_HELP, VERIFY_DESCRIPTION)
    versions_help = "Django releases (default: the newest of every line)"
    p.add_argument("versions", metavar="VERSION", nargs="*", help=versions_help)
    p.add_argument(
        "--all",
        action="store_true",
        help="every final release the series cover; writes docs/compatibility.md",
    )
    p.add_argument(
        "--compat",
        metavar="FILE",
        help="with --all: where to write the table (default: docs/compatibility.md)",
    )
    p.add_argument(
        "--db", action="append", metavar="URL", help=DB_HELP + "; repeatable"
    )
    p.add_argument("--python", metavar="PATH", help=PYTHON_HELP)

    p = command("export", cmd_export, EXPORT_HELP, EXPORT_DESCRIPTION)
    p.add_argument(
        "tree", metavar="TREE", help="a tree made by forkpatch checkout (and edited)"
    )
    p.add_argument(
        "--out", metavar="DIR", help="series folder (default: the tree's series)"
    )
    p.add_argument(
        "--ticket",
        action="append",
        metavar="NAME=NUMBER",
        help="fill in a ticket number for the placeholder #NAME; repeatable",
    )

    p = command("vendor", cmd_vendor, VENDOR_HELP, VENDOR_DESCRIPTION, VENDOR_EPILOG)
    p.add_argument(
        "path",
        metavar="PATH",
        help="the folder that holds django/ (a vendor folder or a Django checkout)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="say what would happen (or what stops it); change nothing",
    )
    p.add_argument(
        "--reverse",
        action="store_true",
        help="take the series out again (in git: new revert commits)",
    )

    label = _example_label()
    p = command(
        "wheel",
        cmd_wheel,
        WHEEL_HELP,
        WHEEL_DESCRIPTION.format(label=label),
        WHEEL_EPILOG.format(label=label),
    )
    p.add_argument("version", metavar="VERSION", help=VERSION_HELP)
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="where to put the wheel (default: build/wheels)",
    )
    return parser


def _check_combination(parser, args):
    if args.command == "checkout":
        if args.git and args.version:
            parser.error("checkout takes a VERSION or --git DIR, not both")
        if not (args.git or args.version):
            parser.error("checkout needs a VERSION or --git DIR")
        if args.git and args.dest:
            parser.error("--dest is for a checkout of a VERSION; --git works in DIR")
        if args.ref != "HEAD" and not args.git:
            parser.error("--ref goes with --git DIR")
    if args.command == "test" and not (args.version or args.tree):
        parser.error("test needs a VERSION or --tree DIR")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combination(parser, args)
    _setup_logging()
    try:
        return args.func(args)
    except ForkpatchError as exc:
        print(f"forkpatch: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"forkpatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("forkpatch: interrupted", file=sys.stderr)
        return 130
