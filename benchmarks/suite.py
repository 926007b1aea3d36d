"""The benchmark suite: stock and patched Django side by side, interleaved.

    python benchmarks/suite.py \\
        --django build/bench-trees/5.2.19-stock --label "5.2.19 stock" \\
        --django build/bench-trees/5.2.19-current --label "5.2.19 patched" \\
        [--db sqlite,postgres] [--rounds 5] [--plan full|onetrip|quick] [--quick]
        [--sqlalchemy-python build/bench-venvs/sqlalchemy-py3.12/bin/python]

Every measurement runs in a fresh interpreter per (tree, case, round), with
PYTHONPATH set to the tree. Within a round, each case runs on every tree before
the next case starts, the trees in an order rotated every round, so that stock
and patched alternate and share the machine's mood. Raw figures are appended
to ``OUT/raw.csv`` as they come; ``OUT/meta.json`` records the date, command,
Python, machine and wall time. ``report.py OUT`` turns them into tables and
plots (``--report`` runs it at the end).

``--quick`` (the test suite's smoke test): tiny data, one round, every case
once, and a non-zero exit if a query count differs or a case fails; it
reports no timing.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FIELDS = [
    "round",
    "label",
    "version",
    "db",
    "case",
    "chunk_size",
    "streams",
    "context",
    "mode",
    "fetch_peers",
    "rows",
    "metric",
    "value",
    "error",
]

# Data: authors with BOOKS books each. Each plan says how many authors each
# case walks through (the first N of the table).
BOOKS = 3


def plan_cases(plan, dbs, versions):
    """(case config, which trees) for one round, in order."""
    cases = []

    def add(**config):
        cases.append(config)

    if plan == "quick":
        rows = 60
        for db in dbs:
            for chunk in (1, 7):
                add(case="ratio", db=db, chunk_size=chunk, streams=1, rows=rows)
            add(case="ratio", db=db, chunk_size=10, streams=4, rows=rows)
            for context in ("loop", "threadsensitive"):
                add(case="concurrency", db=db, chunk_size=10, streams=4,
                    context=context, rows=rows)
            for mode, peers in (("iterator", False), ("aiterator", True)):
                add(case="memory", db=db, chunk_size=10, mode=mode,
                    fetch_peers=peers, rows=rows)
            add(case="cancel", db=db, chunk_size=10, rows=rows, delay=0.02,
                attempts=2)
            add(case="sqlalchemy", db=db, chunk_size=10, streams=1, rows=rows)
        return cases
    if plan == "onetrip":
        for db in dbs:
            for streams in (1, 16):
                for chunk in (1, 10, 100, 2000):
                    add(case="ratio", db=db, chunk_size=chunk, streams=streams,
                        rows=6000)
        return cases
    # full: sizes chosen so that the whole run takes about an hour on 2 cores
    for db in dbs:
        for chunk in (1, 10, 100, 2000):
            add(case="ratio", db=db, chunk_size=chunk, streams=1,
                rows=2000 if chunk == 1 else 8000)
        for context in ("loop", "threadsensitive"):
            for streams in (1, 4, 16, 32):
                add(case="concurrency", db=db, chunk_size=100, streams=streams,
                    context=context, rows=8000)
        add(case="cancel", db=db, chunk_size=100, rows=8000, delay=0.05,
            attempts=5)
        for chunk in (1, 10, 100, 2000):
            add(case="sqlalchemy", db=db, chunk_size=chunk, streams=1,
                rows=2000 if chunk == 1 else 8000)
        for streams in (4, 16, 32):
            add(case="sqlalchemy", db=db, chunk_size=100, streams=streams,
                rows=8000)
        # Memory figures hardly move between rounds: two rounds are enough.
        for rows in (1000, 3000, 9000):
            for mode in ("iterator", "aiterator"):
                for peers in (False, True):
                    add(case="memory", db=db, chunk_size=500, mode=mode,
                        fetch_peers=peers, rows=rows, max_rounds=2)
            add(case="sqlalchemy-memory", db=db, chunk_size=500, rows=rows,
                max_rounds=2)
    return cases


def db_config(name, args, tmpdir, rows):
    """The database of one size: several runs (of other sizes) may share the
    machine, and a run never changes data another run is reading."""
    if name == "sqlite":
        return {"vendor": "sqlite", "name": os.path.join(tmpdir, f"bench-{rows}x{BOOKS}.sqlite3")}
    if name == "postgres":
        return {
            "vendor": "postgresql",
            "name": f"{args.pg_name}_{rows}x{BOOKS}",
            "host": args.pg_host,
            "port": args.pg_port,
            "user": args.pg_user,
        }
    raise SystemExit(f"unknown database {name!r}: sqlite or postgres")


def ensure_pg_database(args, name):
    """CREATE DATABASE name if missing (psycopg in the Django python)."""
    code = (
        "import psycopg,sys\n"
        "c=psycopg.connect(host=sys.argv[1],port=int(sys.argv[2]),user=sys.argv[3],"
        "dbname='postgres',autocommit=True)\n"
        "if not c.execute('SELECT 1 FROM pg_database WHERE datname=%s',(sys.argv[4],)).fetchone():\n"
        "    c.execute('CREATE DATABASE '+sys.argv[4])\n"
    )
    proc = subprocess.run(
        [args.python, "-c", code, args.pg_host, str(args.pg_port), args.pg_user, name],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(
            f"PostgreSQL at {args.pg_host}:{args.pg_port} does not answer "
            f"(or psycopg is missing from {args.python}): "
            f"{proc.stderr.strip().splitlines()[-1:]}"
        )


def run_child(python, script, config, pythonpath, timeout):
    env = dict(os.environ)
    env.pop("PYTHONTRACEMALLOC", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath]))
    env["PYTHONHASHSEED"] = "0"
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, os.path.join(HERE, script), json.dumps(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s", time.perf_counter() - start
    if proc.returncode:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return None, f"exit {proc.returncode}: {tail}", time.perf_counter() - start
    return json.loads(proc.stdout), None, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--django", action="append", default=[], metavar="PATH",
                        help="folder holding the django package (repeatable)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME",
                        help="name of the --django at the same position")
    parser.add_argument("--db", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default: both)")
    parser.add_argument("--plan", choices=["full", "onetrip", "quick"],
                        default="full")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: --plan quick --rounds 1")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for raw.csv and meta.json (default: "
                        "benchmarks/results)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for the Django children (needs asgiref, "
                        "sqlparse, psycopg; default: this one)")
    parser.add_argument("--sqlalchemy-python", metavar="PATH",
                        help="interpreter with sqlalchemy[asyncio], aiosqlite and "
                        "asyncpg: runs the SQLAlchemy peer (skipped without it)")
    parser.add_argument("--data-dir", default=os.path.join(ROOT, "build", "bench-data"))
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--pg-name", default="forkpatch_bench",
                        help="database name prefix: NAME_<authors>x<books> (created if missing)")
    parser.add_argument("--timeout", type=int, default=900,
                        help="seconds allowed to one child process")
    parser.add_argument("--report", action="store_true",
                        help="run report.py on OUT at the end")
    parser.add_argument("--readme", metavar="FILE",
                        help="with --report: replace FILE's GENERATED part")
    args = parser.parse_args(argv)
    if args.quick:
        args.plan, args.rounds = "quick", 1
    if not args.django:
        parser.error("at least one --django PATH")
    if len(args.label) > len(args.django):
        parser.error("more --label than --django")
    labels = args.label + [os.path.basename(p.rstrip("/")) for p in args.django[len(args.label):]]
    if len(set(labels)) != len(labels):
        parser.error("labels must be unique")
    trees = []
    for label, path in zip(labels, args.django):
        path = os.path.abspath(path)
        if not os.path.isfile(os.path.join(path, "django", "__init__.py")):
            parser.error(f"no django package in {path}")
        trees.append((label, path))
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]

    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.data_dir, exist_ok=True)
    raw_path = os.path.join(args.out, "raw.csv")
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT)] + (argv if argv is not None else sys.argv[1:]))
    started = time.time()
    meta = {
        "date": datetime.date.today().isoformat(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": "python " + command,
        "plan": args.plan,
        "rounds": args.rounds,
        "books_per_author": BOOKS,
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load_at_start": os.getloadavg(),
        "trees": {label: path for label, path in trees},
        "versions": {},
        "python": None,
        "sqlalchemy": None,
    }

    # The largest number of authors any case walks through.
    cases = plan_cases(args.plan, dbs, None)
    max_rows = max(c["rows"] for c in cases)
    problems = []
    dbconf = {}
    for db in dbs:
        dbconf[db] = db_config(db, args, args.data_dir, max_rows)
        if db == "postgres":
            ensure_pg_database(args, dbconf[db]["name"])
        config = {"case": "setup", "db": dbconf[db], "rows": max_rows, "books": BOOKS}
        print(f"setup {db}: {max_rows} authors x {BOOKS} books", file=sys.stderr, flush=True)
        result, error, _ = run_child(args.python, "django_case.py", config, trees[-1][1], args.timeout)
        if error:
            raise SystemExit(f"setup on {db} failed: {error}")

    def write_meta():
        meta["wall_s"] = round(time.time() - started, 1)
        meta["load_at_end"] = os.getloadavg()
        meta["problems"] = problems
        with open(os.path.join(args.out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)

    with open(raw_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        total = args.rounds * len(cases)
        done = 0
        for rnd in range(args.rounds):
            # Rotate, and reverse every other round: A B C, C B A, B C A, ...
            shift = rnd % len(trees)
            order = trees[shift:] + trees[:shift]
            if rnd % 2:
                order.reverse()
            for case in cases:
                done += 1
                if rnd >= case.get("max_rounds", args.rounds):
                    continue
                if case["case"].startswith("sqlalchemy"):
                    runs = [("sqlalchemy", None)] if args.sqlalchemy_python else []
                else:
                    runs = order
                for label, path in runs:
                    config = dict(case, db=dbconf[case["db"]], books=BOOKS, round=rnd)
                    config.pop("max_rounds", None)
                    if label == "sqlalchemy":
                        python, script, pypath = args.sqlalchemy_python, "sqlalchemy_case.py", ""
                    else:
                        python, script, pypath = args.python, "django_case.py", path
                    result, error, took = run_child(python, script, config, pypath, args.timeout)
                    desc = " ".join(f"{k}={v}" for k, v in case.items() if k not in ("db", "max_rounds"))
                    print(
                        f"[{done}/{total}] round {rnd + 1} {case['db']} {label}: {desc}"
                        f" ({took:.1f} s){' ERROR ' + error if error else ''}",
                        file=sys.stderr,
                        flush=True,
                    )
                    base = {
                        "round": rnd + 1,
                        "label": label,
                        "db": case["db"],
                        "case": case["case"],
                        "chunk_size": case.get("chunk_size", ""),
                        "streams": case.get("streams", ""),
                        "context": case.get("context", ""),
                        "mode": case.get("mode", ""),
                        "fetch_peers": int(case.get("fetch_peers", False)),
                        "rows": case["rows"],
                    }
                    if error:
                        problems.append(f"{label} {desc}: {error}")
                        writer.writerow(dict(base, metric="error", value=1, error=error[:300], version=""))
                        f.flush()
                        continue
                    version = result.get("django") or result.get("sqlalchemy")
                    if label == "sqlalchemy":
                        meta["sqlalchemy"] = result.get("versions")
                    else:
                        meta["versions"][label] = result["django"]
                        expected = os.path.join(path, "django", "__init__.py")
                        if result["django_file"] != os.path.realpath(expected):
                            raise SystemExit(f"{label} imported {result['django_file']}")
                    meta["python"] = result["python"]
                    for m in result["measurements"]:
                        row = dict(base, version=version, error=m.get("error", "")[:300])
                        for key in ("mode", "metric", "value"):
                            if key in m:
                                row[key] = m[key]
                        writer.writerow(row)
                    f.flush()
                    write_meta()  # so that a report can be made mid-run
                    queries = {m["mode"]: m["value"] for m in result["measurements"] if m["metric"] == "queries"}
                    if case["case"] == "ratio" and len(queries) == 2 and len(set(queries.values())) != 1:
                        problems.append(f"{label} {desc}: queries differ {queries}")
                    for m in result["measurements"]:
                        if m["metric"] == "usable" and not m["value"]:
                            problems.append(f"{label} {desc}: {m['metric']} = 0")
                        if m["metric"] == "open_cursors" and m["value"]:
                            problems.append(f"{label} {desc}: {m['value']} cursors left open")
    meta["complete"] = True
    write_meta()
    print(f"wrote {raw_path} ({meta['wall_s']} s)", file=sys.stderr)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if args.report:
        report = [sys.executable, os.path.join(HERE, "report.py"), args.out]
        if args.readme:
            report += ["--readme", args.readme]
        subprocess.run(report, check=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
