"""One benchmark case on one Django, in a process of its own.

Run by ``suite.py`` as ``python django_case.py JSON`` with PYTHONPATH set to the
folder holding the ``django`` package under test; prints one JSON object (a
list of measurements) on stdout. Never import this module next to another
Django: each (tree, case, round) gets a fresh interpreter.

Cases (``config["case"]``):

setup        create the tables and the data (once per database and run)
ratio        iterator() against aiterator(), both prefetch_related("books"):
             wall and CPU time, queries, sync_to_async trips, S streams
concurrency  S aiterator() streams in one event loop, plain or each inside a
             ThreadSensitiveContext: rows per second and fairness
memory       peak live model instances (counted) and traced peak memory
cancel       task.cancel() while a chunk is being prefetched
"""

import asyncio
import gc
import json
import os
import sys
import threading
import time

from livecount import LiveCounter, TracedMemory

HERE = os.path.dirname(os.path.abspath(__file__))


def configure(config):
    import django
    from django.conf import settings

    db = config["db"]
    if db["vendor"] == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": db["name"]}
    else:
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db["name"],
            "USER": db.get("user", "postgres"),
            "HOST": db.get("host", "127.0.0.1"),
            "PORT": str(db.get("port", 5432)),
            # iterator()/aiterator() use named (server-side) cursors.
            "DISABLE_SERVER_SIDE_CURSORS": False,
        }
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=["benchapp"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=False,
    )
    django.setup()


class Counter:
    """Count queries on every connection, in every thread, and the trips
    that django.db.models.query makes to the sync thread."""

    def __init__(self):
        from django.db import connections
        from django.db.backends.signals import connection_created
        import django.db.models.query as query_module

        self.lock = threading.Lock()
        self.queries = 0
        self.trips = 0
        self.query_module = query_module
        self.real_sync_to_async = query_module.sync_to_async
        connection_created.connect(self.connection_created, weak=False)
        for conn in connections.all():
            self.install(conn)
        query_module.sync_to_async = self.sync_to_async

    def connection_created(self, sender, connection, **kwargs):
        self.install(connection)

    def install(self, connection):
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def __call__(self, execute, sql, params, many, context):
        with self.lock:
            self.queries += 1
        return execute(sql, params, many, context)

    def sync_to_async(self, func=None, **kwargs):
        if func is None:
            return lambda func: self.sync_to_async(func, **kwargs)
        wrapped = self.real_sync_to_async(func, **kwargs)

        async def trip(*args, **kw):
            self.trips += 1
            return await wrapped(*args, **kw)

        return trip

    def reset(self):
        with self.lock:
            self.queries = self.trips = 0


def bounds(Author, rows):
    """pk bounds of the first ``rows`` authors."""
    pks = list(Author.objects.order_by("pk").values_list("pk", flat=True)[:rows])
    if len(pks) < rows:
        raise SystemExit(f"the database holds {len(pks)} authors, {rows} wanted")
    return pks[0], pks[-1]


def slices(lo, hi, streams):
    """Split [lo, hi] into ``streams`` contiguous pk ranges (pks are dense)."""
    total = hi - lo + 1
    edges = [lo + total * i // streams for i in range(streams + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in range(streams)]


class NoFetchPeers(Exception):
    pass


def queryset(pk_range, fetch_peers=False):
    from benchapp.models import Author

    qs = Author.objects.filter(pk__gte=pk_range[0], pk__lte=pk_range[1])
    qs = qs.order_by("pk").prefetch_related("books")
    if fetch_peers:
        try:
            from django.db.models import FETCH_PEERS
        except ImportError:
            raise NoFetchPeers("no FETCH_PEERS before Django 6.1")
        qs = qs.fetch_mode(FETCH_PEERS)
    return qs


def consume_sync(qs, chunk_size):
    n = 0
    for author in qs.iterator(chunk_size=chunk_size):
        n += 1 + len(author.books.all())
    return n


async def consume_async(qs, chunk_size):
    n = 0
    async for author in qs.aiterator(chunk_size=chunk_size):
        n += 1 + len(author.books.all())
    return n


def unsupported(e):
    from django.db import NotSupportedError

    return isinstance(e, NotSupportedError)


# --- setup -------------------------------------------------------------------


def case_setup(config):
    from django.db import connection
    from benchapp.models import Author, Book

    rows, books = config["rows"], config["books"]
    tables = connection.introspection.table_names()
    if Author._meta.db_table in tables:
        if (
            Author.objects.count() == rows
            and Book.objects.count() == rows * books
        ):
            return [{"metric": "setup", "value": 0}]
        with connection.schema_editor() as editor:
            editor.delete_model(Book)
            editor.delete_model(Author)
    with connection.schema_editor() as editor:
        editor.create_model(Author)
        editor.create_model(Book)
    authors = Author.objects.bulk_create(
        (Author(name=f"author {i}") for i in range(rows)), batch_size=2000
    )
    Book.objects.bulk_create(
        (
            Book(author=author, title=f"book {j}")
            for author in authors
            for j in range(books)
        ),
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return [{"metric": "setup", "value": 1}]


# --- ratio: iterator() vs aiterator() -----------------------------------------


def case_ratio(config):
    """iterator() (the limit: S slices one after the other, in this thread)
    against aiterator() (S streams gathered in one event loop)."""
    from benchapp.models import Author

    chunk_size, streams = config["chunk_size"], config["streams"]
    lo, hi = bounds(Author, config["rows"])
    parts = slices(lo, hi, streams)
    expected = (hi - lo + 1) * (1 + config["books"])
    counter = Counter()

    def run_sync():
        return sum(consume_sync(queryset(p), chunk_size) for p in parts)

    async def gather():
        done = await asyncio.gather(
            *(consume_async(queryset(p), chunk_size) for p in parts)
        )
        return sum(done)

    def run_async():
        return asyncio.run(gather())

    # Warm-up: imports, connections, the sync thread.
    warm = (lo, min(hi, lo + 20))
    consume_sync(queryset(warm), chunk_size)
    try:
        asyncio.run(consume_async(queryset(warm), chunk_size))
    except Exception as e:
        if not unsupported(e):
            raise
        return [{"metric": "unsupported", "value": 1, "error": str(e)}]

    order = [("iterator", run_sync), ("aiterator", run_async)]
    if config.get("round", 0) % 2:
        order.reverse()
    out, measured = [], {}
    for mode, func in order:
        gc.collect()
        counter.reset()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        got = func()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if got != expected:
            raise SystemExit(f"{mode}: {got} objects, {expected} expected")
        measured[mode] = (wall, cpu)
        out += [
            {"mode": mode, "metric": "wall_s", "value": wall},
            {"mode": mode, "metric": "cpu_s", "value": cpu},
            {"mode": mode, "metric": "queries", "value": counter.queries},
            {"mode": mode, "metric": "rows_per_s", "value": (hi - lo + 1) / wall},
        ]
        if mode == "aiterator":
            out.append({"mode": mode, "metric": "trips", "value": counter.trips})
    out += [
        {
            "mode": "ratio",
            "metric": "wall_ratio",
            "value": measured["aiterator"][0] / measured["iterator"][0],
        },
        {
            "mode": "ratio",
            "metric": "cpu_ratio",
            "value": measured["aiterator"][1] / measured["iterator"][1],
        },
    ]
    return out


# --- concurrency ----------------------------------------------------------------


def case_concurrency(config):
    from asgiref.sync import ThreadSensitiveContext
    from benchapp.models import Author

    chunk_size, streams = config["chunk_size"], config["streams"]
    context = config["context"]
    lo, hi = bounds(Author, config["rows"])
    parts = slices(lo, hi, streams)
    expected = (hi - lo + 1) * (1 + config["books"])
    counter = Counter()

    async def stream(part, start):
        if context == "threadsensitive":
            async with ThreadSensitiveContext():
                n = await consume_async(queryset(part), chunk_size)
        else:
            n = await consume_async(queryset(part), chunk_size)
        return n, time.perf_counter() - start

    async def main():
        start = time.perf_counter()
        return await asyncio.gather(*(stream(p, start) for p in parts))

    try:
        asyncio.run(consume_async(queryset((lo, min(hi, lo + 20))), chunk_size))
    except Exception as e:
        if not unsupported(e):
            raise
        return [{"metric": "unsupported", "value": 1, "error": str(e)}]
    gc.collect()
    counter.reset()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = asyncio.run(main())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    got = sum(n for n, _ in results)
    if got != expected:
        raise SystemExit(f"{got} objects, {expected} expected")
    finish = [t for _, t in results]
    return [
        {"mode": "aiterator", "metric": "wall_s", "value": wall},
        {"mode": "aiterator", "metric": "cpu_s", "value": cpu},
        {"mode": "aiterator", "metric": "rows_per_s", "value": (hi - lo + 1) / wall},
        {"mode": "aiterator", "metric": "fairness", "value": max(finish) / min(finish)},
        {"mode": "aiterator", "metric": "queries", "value": counter.queries},
        {"mode": "aiterator", "metric": "trips", "value": counter.trips},
    ]


# --- memory ---------------------------------------------------------------------


class DjangoLiveCounter(LiveCounter):
    """LiveCounter over the instances Django creates (post_init)."""

    def __init__(self, step):
        from django.db.models.signals import post_init

        super().__init__(step)
        post_init.connect(lambda instance, **kwargs: self.seen(instance), weak=False)


def case_memory(config):
    from benchapp.models import Author

    chunk_size = config["chunk_size"]
    mode, fetch_peers = config["mode"], config.get("fetch_peers", False)
    lo, hi = bounds(Author, config["rows"])
    try:
        qs = queryset((lo, hi), fetch_peers)
    except NoFetchPeers as e:
        return [{"mode": mode, "metric": "unsupported", "value": 1, "error": str(e)}]
    expected = (hi - lo + 1) * (1 + config["books"])

    def run():
        if mode == "iterator":
            return consume_sync(qs, chunk_size)
        return asyncio.run(consume_async(qs, chunk_size))

    warm = queryset((lo, min(hi, lo + 20)), fetch_peers)
    try:
        if mode == "iterator":
            consume_sync(warm, chunk_size)
        else:
            asyncio.run(consume_async(warm, chunk_size))
    except Exception as e:
        if not unsupported(e):
            raise
        return [{"mode": mode, "metric": "unsupported", "value": 1, "error": str(e)}]
    del warm
    # Traced memory (no instance counter attached).
    with TracedMemory() as traced:
        got = run()
    if got != expected:
        raise SystemExit(f"{got} objects, {expected} expected")
    # Live instances, counted in a second pass. Freeze what exists now so
    # that each gc.collect() only walks the objects made by the loop.
    gc.collect()
    gc.freeze()
    counter = DjangoLiveCounter(chunk_size // 20)
    counter.start()
    got = run()
    live_peak, live_kib = counter.stop()
    return [
        {"mode": mode, "metric": "traced_peak_kib", "value": traced.peak},
        {"mode": mode, "metric": "traced_end_kib", "value": traced.end},
        {"mode": mode, "metric": "live_peak", "value": live_peak},
        {"mode": mode, "metric": "live_traced_peak_kib", "value": live_kib},
        {"mode": mode, "metric": "instances", "value": counter.created},
    ]


# --- cancellation -----------------------------------------------------------------


def case_cancel(config):
    """Cancel a task while it waits for a chunk's prefetch (the books query,
    slowed down by ``delay`` seconds in the database thread); measure the
    time from task.cancel() to the task's end, then check the connection
    (a query in the same sync thread; next_query_s is the time from
    task.cancel() to its answer: the thread may still be busy with the
    cancelled task's prefetch)."""
    from asgiref.sync import sync_to_async
    from django.db import connection, connections
    from benchapp.models import Author

    chunk_size, delay = config["chunk_size"], config["delay"]
    lo, hi = bounds(Author, config["rows"])
    attempts = config.get("attempts", 5)
    book_table = "benchapp_book"
    state = {"event": None, "loop": None, "armed": False}

    def slow_prefetch(execute, sql, params, many, context):
        if state["armed"] and book_table in sql and "benchapp_author" not in sql:
            state["armed"] = False
            state["loop"].call_soon_threadsafe(state["event"].set)
            time.sleep(delay)
        return execute(sql, params, many, context)

    from django.db.backends.signals import connection_created

    def install(sender, connection, **kwargs):
        if slow_prefetch not in connection.execute_wrappers:
            connection.execute_wrappers.append(slow_prefetch)

    connection_created.connect(install, weak=False)
    for conn in connections.all():
        install(None, conn)

    def check():
        ok = Author.objects.filter(pk=lo).count() == 1
        cursors = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_cursors")
                cursors = cursor.fetchone()[0]
        return ok, cursors

    async def consume(qs):
        async for author in qs.aiterator(chunk_size=chunk_size):
            len(author.books.all())

    async def once(skip_chunks):
        state["loop"] = asyncio.get_running_loop()
        state["event"] = asyncio.Event()
        qs = queryset((lo, hi))
        # Let a few chunks go by, then slow down the next prefetch.
        task = asyncio.create_task(consume(qs))
        seen = 0
        while seen < skip_chunks:
            await asyncio.sleep(0)
            seen += 1
        state["armed"] = True
        await state["event"].wait()
        t0 = time.perf_counter()
        task.cancel()
        try:
            await task
            ended = "finished"
        except asyncio.CancelledError:
            ended = "cancelled"
        elapsed = time.perf_counter() - t0
        ok, cursors = await sync_to_async(check)()
        return elapsed, time.perf_counter() - t0, ended, ok, cursors

    async def main():
        return [await once(i) for i in range(attempts)]

    try:
        asyncio.run(consume(queryset((lo, min(hi, lo + 20)))))
    except Exception as e:
        if not unsupported(e):
            raise
        return [{"mode": "aiterator", "metric": "unsupported", "value": 1, "error": str(e)}]
    results = asyncio.run(main())
    out = []
    for elapsed, next_query, ended, ok, cursors in results:
        out.append({"mode": "aiterator", "metric": "cancel_s", "value": elapsed})
        out.append({"mode": "aiterator", "metric": "next_query_s", "value": next_query})
        out.append({"mode": "aiterator", "metric": "usable", "value": int(ok)})
        out.append(
            {"mode": "aiterator", "metric": "cancelled", "value": int(ended == "cancelled")}
        )
        if cursors is not None:
            out.append({"mode": "aiterator", "metric": "open_cursors", "value": cursors})
    return out


CASES = {
    "setup": case_setup,
    "ratio": case_ratio,
    "concurrency": case_concurrency,
    "memory": case_memory,
    "cancel": case_cancel,
}


def main():
    config = json.loads(sys.argv[1])
    configure(config)
    import asgiref
    import django

    out = CASES[config["case"]](config)
    print(
        json.dumps(
            {
                "django": django.get_version(),
                "django_file": os.path.realpath(django.__file__),
                "python": sys.version.split()[0],
                "asgiref": asgiref.__version__,
                "measurements": out,
            }
        )
    )


if __name__ == "__main__":
    main()
