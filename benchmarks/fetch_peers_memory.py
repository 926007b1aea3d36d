"""Traced memory of iterator()/aiterator() with the FETCH_PEERS fetch mode (Django 6.1+).

Each --django PATH runs in a child process on the same SQLite data (``--rows`` rows).
For each way of iterating it reports, with tracemalloc, the memory still traced when
the loop ends (the loop variable keeps the last row, and so its peers, alive) and the
peak during the loop, with and without ``fetch_mode(FETCH_PEERS)``.

    python benchmarks/fetch_peers_memory.py --django build/trees/6.1.3 --label patched \\
        --django build/trees/6.1.3-stock --label stock
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc


def child(args):
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": args.database}
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=False,
    )
    django.setup()
    from django.db import connection, models

    class Pet(models.Model):
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "bench"

    if Pet._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(Pet)
        Pet.objects.bulk_create(Pet(name=f"pet {i}") for i in range(args.rows))

    def sync(queryset):
        for pet in queryset.iterator(chunk_size=args.chunk_size):
            pass
        return tracemalloc.get_traced_memory()

    async def consume(queryset):
        async for pet in queryset.aiterator(chunk_size=args.chunk_size):
            pass
        return tracemalloc.get_traced_memory()

    results = {"django": django.get_version()}
    for mode in ("default", "FETCH_PEERS"):
        queryset = Pet.objects.all()
        if mode == "FETCH_PEERS":
            queryset = queryset.fetch_mode(models.FETCH_PEERS)
        for name, run in (
            ("iterator", sync),
            ("aiterator", lambda qs: asyncio.run(consume(qs))),
        ):
            tracemalloc.start()
            end, peak = run(queryset)
            tracemalloc.stop()
            results[f"{name} {mode}"] = {"end": end, "peak": peak}
    print(json.dumps(results))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--django", action="append", required=True, metavar="PATH")
    parser.add_argument("--label", action="append", default=[], metavar="NAME")
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    labels = args.label + args.django[len(args.label) :]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        database = os.path.join(tmp, "pets.sqlite3")
        for label, path in zip(labels, args.django):
            cmd = [
                sys.executable, __file__, "--child", "--database", database,
                "--rows", str(args.rows), "--chunk-size", str(args.chunk_size),
                "--django", path,
            ]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": os.path.abspath(path)}
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{label} failed:\n{out.stderr}")
            results[label] = json.loads(out.stdout)
    print(
        f"\n{args.rows} rows, chunk_size={args.chunk_size}, SQLite; traced MiB at the "
        "end of the loop / peak during it"
    )
    names = [k for k in next(iter(results.values())) if k != "django"]
    header = ["iteration"] + [
        f"{label} ({r['django']})" for label, r in results.items()
    ]
    rows = [
        [name]
        + [
            f"{r[name]['end'] / 2**20:.1f} / {r[name]['peak'] / 2**20:.1f}"
            for r in results.values()
        ]
        for name in names
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
