"""The outside peer: SQLAlchemy 2.x asyncio on the same data, in a process of
its own (``python sqlalchemy_case.py JSON``; run by ``suite.py`` with
``--sqlalchemy-python``, an interpreter with sqlalchemy[asyncio], aiosqlite
and asyncpg).

``AsyncSession.stream_scalars(select(Author).options(selectinload(Author.books))
.execution_options(yield_per=N))``, over aiosqlite (SQLite) or asyncpg
(PostgreSQL, where yield_per streams from a server-side cursor).

Cases:
sqlalchemy         S streams (each its own AsyncSession) over slices of the
                   authors: wall and CPU time, authors per second, fairness,
                   statements executed (counted by a before_cursor_execute
                   listener on the sync engine) per batch of N
sqlalchemy-memory  one stream: peak live instances (counted, as for Django)
                   and traced peak memory
"""

import asyncio
import gc
import json
import math
import os
import sys
import time

from livecount import LiveCounter, TracedMemory
from sqlalchemy import ForeignKey, String, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "benchapp_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "benchapp_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("benchapp_author.id"))
    title: Mapped[str] = mapped_column(String(50))
    author: Mapped[Author] = relationship(back_populates="books")


def url(db):
    if db["vendor"] == "sqlite":
        return f"sqlite+aiosqlite:///{db['name']}"
    return (
        f"postgresql+asyncpg://{db.get('user', 'postgres')}@{db.get('host', '127.0.0.1')}"
        f":{db.get('port', 5432)}/{db['name']}"
    )


class Statements:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self)

    def __call__(self, *args, **kwargs):
        self.count += 1


class AlchemyLiveCounter(LiveCounter):
    """LiveCounter over the Author/Book instances SQLAlchemy loads."""

    def __init__(self, step):
        super().__init__(step)
        for cls in (Author, Book):
            event.listen(cls, "load", lambda target, context: self.seen(target))


async def bounds(engine, rows):
    async with AsyncSession(engine) as session:
        pks = (
            await session.scalars(select(Author.id).order_by(Author.id).limit(rows))
        ).all()
    if len(pks) < rows:
        raise SystemExit(f"the database holds {len(pks)} authors, {rows} wanted")
    return pks[0], pks[-1]


async def consume(engine, part, chunk_size):
    async with AsyncSession(engine) as session:
        stmt = (
            select(Author)
            .where(Author.id.between(*part))
            .order_by(Author.id)
            .options(selectinload(Author.books))
            .execution_options(yield_per=chunk_size)
        )
        result = await session.stream_scalars(stmt)
        n = 0
        async for author in result:
            n += 1 + len(author.books)
        return n


async def case_stream(config):
    chunk_size, streams, rows = config["chunk_size"], config["streams"], config["rows"]
    engine = create_async_engine(url(config["db"]), pool_size=max(5, streams), max_overflow=0)
    counter = Statements(engine)
    lo, hi = await bounds(engine, rows)
    total = hi - lo + 1
    edges = [lo + total * i // streams for i in range(streams + 1)]
    parts = [(edges[i], edges[i + 1] - 1) for i in range(streams)]
    expected = total * (1 + config["books"])
    # Warm-up: open the connections of the pool.
    await asyncio.gather(*(consume(engine, (lo, lo + 5), chunk_size) for _ in parts))
    gc.collect()
    counter.count = 0

    async def stream(part, start):
        n = await consume(engine, part, chunk_size)
        return n, time.perf_counter() - start

    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(stream(p, wall0) for p in parts))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    got = sum(n for n, _ in results)
    if got != expected:
        raise SystemExit(f"{got} objects, {expected} expected")
    finish = [t for _, t in results]
    batches = sum(math.ceil((b - a + 1) / chunk_size) for a, b in parts)
    await engine.dispose()
    return [
        {"mode": "stream_scalars", "metric": "wall_s", "value": wall},
        {"mode": "stream_scalars", "metric": "cpu_s", "value": cpu},
        {"mode": "stream_scalars", "metric": "rows_per_s", "value": total / wall},
        {"mode": "stream_scalars", "metric": "fairness", "value": max(finish) / min(finish)},
        {"mode": "stream_scalars", "metric": "queries", "value": counter.count},
        {"mode": "stream_scalars", "metric": "queries_per_batch", "value": counter.count / batches},
    ]


async def case_memory(config):
    chunk_size, rows = config["chunk_size"], config["rows"]
    engine = create_async_engine(url(config["db"]))
    lo, hi = await bounds(engine, rows)
    expected = (hi - lo + 1) * (1 + config["books"])
    await consume(engine, (lo, lo + 5), chunk_size)
    with TracedMemory() as traced:
        got = await consume(engine, (lo, hi), chunk_size)
    if got != expected:
        raise SystemExit(f"{got} objects, {expected} expected")
    gc.collect()
    gc.freeze()
    counter = AlchemyLiveCounter(chunk_size // 20)
    counter.start()
    await consume(engine, (lo, hi), chunk_size)
    live, live_kib = counter.stop()
    await engine.dispose()
    return [
        {"mode": "stream_scalars", "metric": "traced_peak_kib", "value": traced.peak},
        {"mode": "stream_scalars", "metric": "traced_end_kib", "value": traced.end},
        {"mode": "stream_scalars", "metric": "live_peak", "value": live},
        {"mode": "stream_scalars", "metric": "live_traced_peak_kib", "value": live_kib},
        {"mode": "stream_scalars", "metric": "instances", "value": counter.created},
    ]


def main():
    config = json.loads(sys.argv[1])
    import aiosqlite
    import asyncpg
    import sqlalchemy

    case = {"sqlalchemy": case_stream, "sqlalchemy-memory": case_memory}[config["case"]]
    out = asyncio.run(case(config))
    print(
        json.dumps(
            {
                "sqlalchemy": sqlalchemy.__version__,
                "versions": {
                    "sqlalchemy": sqlalchemy.__version__,
                    "aiosqlite": aiosqlite.__version__,
                    "asyncpg": asyncpg.__version__,
                },
                "python": sys.version.split()[0],
                "measurements": out,
            }
        )
    )


if __name__ == "__main__":
    main()
