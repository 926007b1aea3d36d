"""The forkpatch command line."""

import argparse
import shutil
import sys
import time

from forkpatch import __version__, sdist, vendor, wheel
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import git
from forkpatch.paths import build_dir
from forkpatch.runner import check_reachable, parse_db, run_tests
from forkpatch.series import parse_version, series_for, supported_lines
from forkpatch.tree import checkout, default_dest, export, read_version

DESCRIPTION = """\
Patch series that make Django's QuerySet.aiterator() honour prefetch_related()
chunk by chunk, and the tool that builds, tests and exports them.

Typical use:
  forkpatch verify                      check out and test the newest release of
                                        every supported line on SQLite
  forkpatch checkout 4.2.30             make build/trees/4.2.30 (sdist + git am)
  forkpatch test 4.2.30 --db postgres://postgres@127.0.0.1:5432/forkpatch
  forkpatch export build/trees/4.2.30   write the tree's commits to patches/4.2.x
"""


def log(message):
    print(f"forkpatch: {message}", file=sys.stderr, flush=True)


def cmd_checkout(args):
    path = checkout(args.version, args.dest, log=log)
    print(path)
    return 0


def _tree_for(version, tree):
    """The tree to test: --tree, or build/trees/VERSION, checked out if missing."""
    series = series_for(version)
    if tree:
        return tree, series
    tree = default_dest(version)
    if not tree.exists():
        log(f"{tree} does not exist yet: checking it out")
        checkout(str(version), tree, log=log)
        return tree, series
    recorded = git("config", "forkpatch.digest", cwd=tree, check=False).stdout.strip()
    if recorded and recorded != series.digest():
        log(
            f"note: patches/{series.name} changed since {tree} was checked out; "
            "testing the tree as it is (export it, or check it out again)"
        )
    return tree, series


def cmd_test(args):
    db = parse_db(args.db)
    check_reachable(db)
    if args.tree:
        version = read_version(args.tree)
        if args.version:  # With --tree, every positional is a test label.
            args.labels.insert(0, args.version)
    else:
        version = parse_version(args.version)
    tree, series = _tree_for(version, args.tree)
    status, _ = run_tests(
        tree, version, series, db, args.labels, args.runtests_args, args.python, log
    )
    return status


def cmd_verify(args):
    if args.versions:
        versions = [parse_version(v) for v in args.versions]
    else:
        versions = [sdist.newest(line) for line in supported_lines()]
    databases = [parse_db(db) for db in (args.db or ["sqlite"])]
    for db in databases:
        check_reachable(db)
    rows = []
    for version in versions:
        series = series_for(version)
        tree = build_dir() / "verify" / str(version)
        shutil.rmtree(tree, ignore_errors=True)
        log(f"Django {version}: checking out patches/{series.name}")
        checkout(str(version), tree, log=log)
        for db in databases:
            start = time.monotonic()
            try:
                status, ran = run_tests(
                    tree, version, series, db, python=args.python, log=log
                )
                result = "passed" if status == 0 else f"FAILED (exit {status})"
            except ForkpatchError as exc:
                ran, result, status = 0, f"ERROR: {exc}", 2
            rows.append(
                (
                    str(version),
                    db.vendor,
                    str(ran),
                    result,
                    f"{time.monotonic() - start:.0f}",
                )
            )
    header = ("version", "database", "tests run", "result", "seconds")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0 if all(r[3] == "passed" for r in rows) else 1


def cmd_export(args):
    export(args.tree, args.out, log=log)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="forkpatch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "checkout",
        help="make the patched source tree of a Django release",
        description="Download Django VERSION's sdist (checked against the sha256 the "
        "package index publishes, then cached), commit it pristine in a new git "
        "repository and apply the release line's series with git am, one commit "
        "per patch. Prints the tree's path. Nothing is left behind on failure.",
    )
    p.add_argument("version", metavar="VERSION", help="a Django release, e.g. 4.2.30")
    p.add_argument(
        "--dest",
        metavar="DIR",
        help="where to make the tree (default: build/trees/VERSION)",
    )
    p.set_defaults(func=cmd_checkout)

    db_help = (
        "sqlite (default), postgres://USER@HOST:PORT/NAME or mysql://USER@HOST:PORT/NAME; "
        "test databases are named test_NAME_VERSION"
    )
    python_help = (
        "interpreter to use (default: one the release supports; env FORKPATCH_PYTHON)"
    )
    p = sub.add_parser(
        "test",
        help="run Django's own runtests.py on a patched tree",
        description="Run the tree's tests/runtests.py in a virtual environment made for "
        "the release (a Python it supports, its requirements and the database driver). "
        "Default labels: async, prefetch_related and every app the series touches. "
        "Arguments after -- go to runtests.py (e.g. -- --parallel 1). "
        "Exits with runtests' status.",
    )
    p.add_argument("version", metavar="VERSION", nargs="?", help="a Django release")
    p.add_argument(
        "labels", metavar="LABEL", nargs="*", help="test labels for runtests.py"
    )
    p.add_argument("--db", default="sqlite", metavar="URL", help=db_help)
    p.add_argument(
        "--tree", metavar="DIR", help="test this tree (default: build/trees/VERSION)"
    )
    p.add_argument("--python", metavar="PATH", help=python_help)
    p.set_defaults(func=cmd_test, runtests_args=[])

    p = sub.add_parser(
        "verify",
        help="check out and test releases, and print a summary table",
        description="For each VERSION (default: the newest release of every line "
        "patches/ covers): a fresh checkout under build/verify/, then runtests.py with "
        "the default labels on each --db. Prints version, database, tests run, result "
        "and seconds; exits non-zero if any run failed.",
    )
    p.add_argument("versions", metavar="VERSION", nargs="*")
    p.add_argument(
        "--db", action="append", metavar="URL", help=db_help + "; repeatable"
    )
    p.add_argument("--python", metavar="PATH", help=python_help)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "export",
        help="write a tree's commits back to patches/<line>/",
        description="Write the commits on top of the pristine sdist as git format-patch "
        "files and a series file into the series folder of the tree's release (or "
        "--out). A checkout followed by an export changes nothing.",
    )
    p.add_argument("tree", metavar="TREE")
    p.add_argument(
        "--out", metavar="DIR", help="series folder (default: the tree's line)"
    )
    p.set_defaults(func=cmd_export)

    vendor.add_parser(sub)
    wheel.add_parser(sub)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if passthrough:
        if args.command != "test":
            parser.error("arguments after -- are for `forkpatch test` only")
        args.runtests_args = passthrough
    if args.command == "test" and not (args.version or args.tree):
        parser.error("test needs a VERSION or --tree DIR")
    try:
        return args.func(args)
    except ForkpatchError as exc:
        print(f"forkpatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("forkpatch: interrupted", file=sys.stderr)
        return 130
