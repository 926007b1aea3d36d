"""CPU time of QuerySet.aiterator() against iterator(), both prefetching, side by side.

Each Django given with --django (a folder holding the ``django`` package: a tree
from ``forkpatch checkout``, a stock tree, or a site-packages) runs in a child
process of its own against the same SQLite data. For every chunk size the child
consumes ``Author.objects.prefetch_related("books")`` with ``iterator()`` and with
``aiterator()`` under ``asyncio.run()``, alternately, ``--repeat`` times, and keeps
the least CPU time (``time.process_time()``, all threads) of each. The table
reports aiterator/iterator: 1.00 means the async path costs no more CPU than the
sync one. Machines are noisy: compare ratios from one run only.

    python benchmarks/aiterator_cpu.py --django build/trees/4.2.30 --label patched \\
        --django build/trees/4.2.30-stock --label stock
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time


def child(args):
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": args.database,
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=False,
    )
    django.setup()
    from django.db import NotSupportedError, connection, models
    from django.db.backends.sqlite3 import base

    class Author(models.Model):
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "bench"

    class Book(models.Model):
        author = models.ForeignKey(Author, models.CASCADE, related_name="books")
        title = models.CharField(max_length=50)

        class Meta:
            app_label = "bench"

    if Author._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(Author)
            editor.create_model(Book)
        authors = Author.objects.bulk_create(
            Author(name=f"author {i}") for i in range(args.rows)
        )
        Book.objects.bulk_create(
            Book(author=author, title=f"book {j}")
            for author in authors
            for j in range(args.books)
        )
    connection.close()
    queryset = Author.objects.prefetch_related("books")

    def run_sync(chunk_size):
        return sum(len(a.books.all()) for a in queryset.iterator(chunk_size=chunk_size))

    async def consume(chunk_size):
        total = 0
        async for author in queryset.aiterator(chunk_size=chunk_size):
            total += len(author.books.all())
        return total

    def run_async(chunk_size):
        return asyncio.run(consume(chunk_size))

    # Queries are counted on every thread, in a pass of their own.
    queries = [0]
    execute = base.SQLiteCursorWrapper.execute

    def counting_execute(self, *a, **kw):
        queries[0] += 1
        return execute(self, *a, **kw)

    def count(func, chunk_size):
        queries[0] = 0
        base.SQLiteCursorWrapper.execute = counting_execute
        try:
            func(chunk_size)
        finally:
            base.SQLiteCursorWrapper.execute = execute
        return queries[0]

    results = {"django": django.get_version(), "python": sys.version.split()[0]}
    for chunk_size in args.chunk_sizes:
        row = {"sync_queries": count(run_sync, chunk_size)}
        try:
            row["async_queries"] = count(run_async, chunk_size)
        except NotSupportedError:
            results[str(chunk_size)] = {**row, "unsupported": True}
            continue
        best = {"sync": float("inf"), "async": float("inf")}
        for _ in range(args.repeat):
            for name, func in (("sync", run_sync), ("async", run_async)):
                start = time.process_time()
                total = func(chunk_size)
                best[name] = min(best[name], time.process_time() - start)
                assert total == args.rows * args.books, total
        row.update(best, ratio=best["async"] / best["sync"])
        results[str(chunk_size)] = row
    print(json.dumps(results))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--django", action="append", required=True, metavar="PATH")
    parser.add_argument("--label", action="append", default=[], metavar="NAME")
    parser.add_argument("--rows", type=int, default=20000, help="authors (20000)")
    parser.add_argument("--books", type=int, default=3, help="books per author (3)")
    parser.add_argument(
        "--chunk-sizes",
        default="1,10,100,2000",
        type=lambda s: [int(n) for n in s.split(",")],
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (3)")
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    labels = args.label + args.django[len(args.label) :]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in zip(labels, args.django):
            print(f"running {label} ({path})", file=sys.stderr, flush=True)
            cmd = [
                sys.executable, __file__, "--child", "--django", path,
                "--database", os.path.join(tmp, f"{len(results)}.sqlite3"),
                "--rows", str(args.rows), "--books", str(args.books),
                "--chunk-sizes", ",".join(map(str, args.chunk_sizes)),
                "--repeat", str(args.repeat),
            ]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": os.path.abspath(path)}
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{label} failed:\n{out.stderr}")
            results[label] = json.loads(out.stdout)
    print(
        f"\n{args.rows} authors x {args.books} books, prefetch_related('books'), "
        f"SQLite; CPU time of aiterator() / iterator(), best of {args.repeat}"
    )
    header = ["chunk_size"] + [
        f"{label} ({r['django']}, py{r['python']})" for label, r in results.items()
    ]
    rows = []
    for chunk_size in args.chunk_sizes:
        cells = [str(chunk_size)]
        for r in results.values():
            cell = r[str(chunk_size)]
            if cell.get("unsupported"):
                cells.append("unsupported (NotSupportedError)")
            else:
                cells.append(
                    f"{cell['ratio']:.2f}  (queries {cell['async_queries']} vs "
                    f"{cell['sync_queries']})"
                )
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
