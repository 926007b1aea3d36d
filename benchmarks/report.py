"""Tables and plots from a suite run: ``python benchmarks/report.py OUT``.

Reads ``OUT/raw.csv`` and ``OUT/meta.json`` (written by ``suite.py``), writes
``OUT/summary.csv`` (median, min, max and count of every figure),
``OUT/*.png`` (matplotlib) and ``OUT/tables.md``; with ``--readme FILE``,
replaces the part of FILE between the GENERATED markers with the tables and
the plots. Every figure is a median over the rounds with its range
[min-max]; nothing here is typed by hand.
"""

import argparse
import csv
import json
import os
import statistics
import sys
from collections import defaultdict

BEGIN = "<!-- BEGIN GENERATED: report.py, do not edit by hand -->"
END = "<!-- END GENERATED -->"
KEY = ("label", "version", "db", "case", "chunk_size", "streams", "context",
       "mode", "fetch_peers", "rows", "metric")


def load(out):
    with open(os.path.join(out, "raw.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    return rows, meta


def labels_of(rows, meta):
    """Labels in --django order, then sqlalchemy."""
    order = list(meta.get("trees", {}))
    seen = {r["label"] for r in rows}
    return [l for l in order if l in seen] + sorted(seen - set(order))


class Figures:
    def __init__(self, rows):
        self.values = defaultdict(list)
        self.by_round = defaultdict(dict)
        self.errors = defaultdict(str)
        for r in rows:
            key = tuple(r[k] for k in KEY)
            if r["metric"] in ("error", "unsupported"):
                self.errors[key] = r["error"] or r["metric"]
            try:
                value = float(r["value"])
            except ValueError:
                continue
            self.values[key].append(value)
            self.by_round[key].setdefault(r["round"], []).append(value)

    def find(self, **want):
        """Keys matching ``want`` (values compared as strings)."""
        want = {k: str(v) for k, v in want.items()}
        return [
            key for key in self.values
            if all(key[KEY.index(k)] == v for k, v in want.items())
        ]

    def get(self, **want):
        keys = self.find(**want)
        values = [v for k in keys for v in self.values[k]]
        return values

    def stats(self, **want):
        values = self.get(**want)
        if not values:
            return None
        return statistics.median(values), min(values), max(values), len(values)

    def rounds(self, **want):
        """{round: median of the values of that round}"""
        out = defaultdict(list)
        for key in self.find(**want):
            for rnd, vals in self.by_round[key].items():
                out[rnd] += vals
        return {rnd: statistics.median(v) for rnd, v in out.items()}

    def unsupported(self, **want):
        want = {k: str(v) for k, v in want.items()}
        for key, err in self.errors.items():
            if all(key[KEY.index(k)] == v for k, v in want.items()):
                return err
        return None


def fmt(stats, digits=2, scale=1.0, suffix=""):
    if stats is None:
        return "-"
    med, lo, hi, _ = stats
    f = f"{{:.{digits}f}}"
    return f"{f.format(med * scale)}{suffix} [{f.format(lo * scale)}-{f.format(hi * scale)}]"


def fmt_int(stats):
    if stats is None:
        return "-"
    med, lo, hi, _ = stats
    if lo == hi:
        return f"{med:,.0f}"
    return f"{med:,.0f} [{lo:,.0f}-{hi:,.0f}]"


def cell(fig, digits=2, scale=1.0, suffix="", **want):
    s = fig.stats(**want)
    if s is None:
        err = fig.unsupported(**{k: v for k, v in want.items() if k not in ("metric", "mode")})
        if err:
            return "raises" if "not supported" in err else "error"
        return "-"
    return fmt(s, digits, scale, suffix)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def caption(meta, what):
    versions = ", ".join(f"{l}: {v}" for l, v in meta.get("versions", {}).items())
    sa = meta.get("sqlalchemy")
    if sa:
        versions += ", SQLAlchemy " + ", ".join(f"{k} {v}" for k, v in sa.items())
    return (
        f"*{what}. Run of {meta['date']}, {meta['rounds']} rounds, median "
        f"[min-max] over rounds; Django {versions}; Python {meta.get('python')}; "
        f"{meta.get('machine')} (shared); command: `{meta['command']}`.*"
    )


def paired(fig, a_label, b_label, **want):
    """Per-round ratio b/a of the same figure (the two ran next to each other)."""
    a = fig.rounds(label=a_label, **want)
    b = fig.rounds(label=b_label, **want)
    ratios = [b[r] / a[r] for r in a if r in b and a[r]]
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios), len(ratios)


def pairs(labels):
    """(stock, patched) label pairs by the version prefix of the label."""
    out = []
    for l in labels:
        if l.endswith(" stock"):
            version = l[: -len(" stock")]
            for other in labels:
                if other != l and other.startswith(version + " ") and not other.endswith(" stock"):
                    out.append((l, other))
    return out


def dbs_of(rows):
    seen = []
    for r in rows:
        if r["db"] not in seen:
            seen.append(r["db"])
    return seen


DBNAME = {"sqlite": "SQLite", "postgres": "PostgreSQL (server-side cursors)"}


def ratio_section(fig, meta, labels, db, streams="1"):
    chunks = sorted({int(k[4]) for k in fig.find(case="ratio", db=db, streams=streams)})
    if not chunks:
        return ""
    django_labels = [l for l in labels if l != "sqlalchemy"]
    rows = []
    for chunk in chunks:
        row = [chunk]
        for l in django_labels:
            want = dict(label=l, case="ratio", db=db, chunk_size=chunk, streams=streams)
            w = cell(fig, metric="wall_ratio", **want)
            c = cell(fig, metric="cpu_ratio", **want)
            row.append(w if w in ("raises", "error", "-") else f"{w} / {c}")
        # query counts
        checks = []
        for l in django_labels:
            want = dict(label=l, case="ratio", db=db, chunk_size=chunk, streams=streams)
            qa = fig.get(metric="queries", mode="aiterator", **want)
            qi = fig.get(metric="queries", mode="iterator", **want)
            if qa:
                checks.append(qa == qi)
        q = fig.get(case="ratio", db=db, chunk_size=chunk, streams=streams,
                    metric="queries", mode="aiterator")
        same = all(checks) and len(set(q)) == 1
        row.append(f"{int(q[0]):,} ({'equal' if same else 'DIFFER'})" if q else "-")
        trips = []
        for l in django_labels:
            t = fig.get(label=l, case="ratio", db=db, chunk_size=chunk, streams=streams,
                        metric="trips", mode="aiterator")
            trips.append(f"{int(t[0]):,}" if t else "-")
        row.append(" / ".join(trips))
        rows.append(row)
    rows_n = fig.find(case="ratio", db=db, streams=streams)
    sizes = sorted({(int(k[4]), k[9]) for k in rows_n})
    text = caption(meta, f"{DBNAME.get(db, db)}: aiterator() / iterator(), wall / CPU, "
                   f"{streams} stream(s), authors walked per chunk size: "
                   + ", ".join(f"{c}: {n}" for c, n in sizes)
                   + f", 3 books each, prefetch_related('books')")
    header = ["chunk_size"] + [f"{l}: wall / CPU" for l in django_labels] + [
        "queries (aiterator = iterator)", "sync trips: " + " / ".join(django_labels)]
    return text + "\n\n" + table(header, rows)


def onetrip_section(fig, meta, labels, db):
    """Stock against patched aiterator(), paired by round."""
    out = []
    for stock, patched in pairs(labels):
        rows = []
        for streams in sorted({k[5] for k in fig.find(case="ratio", db=db)}, key=int):
            for chunk in sorted({int(k[4]) for k in fig.find(case="ratio", db=db, streams=streams)}):
                want = dict(case="ratio", db=db, chunk_size=chunk, streams=streams)
                if fig.stats(label=patched, metric="wall_s", mode="aiterator", **want) is None:
                    continue
                row = [streams, chunk]
                for metric in ("wall_s", "cpu_s"):
                    for l in (stock, patched):
                        row.append(cell(fig, 3, label=l, metric=metric, mode="aiterator", **want))
                    row.append(fmt(paired(fig, stock, patched, metric=metric, mode="aiterator", **want)))
                for l in (stock, patched):
                    row.append(cell(fig, label=l, metric="wall_ratio", **want))
                qs = fig.get(label=stock, metric="queries", mode="aiterator", **want)
                qp = fig.get(label=patched, metric="queries", mode="aiterator", **want)
                qi = fig.get(label=stock, metric="queries", mode="iterator", **want) + fig.get(
                    label=patched, metric="queries", mode="iterator", **want)
                same = set(qs) == set(qp) == set(qi) and len(set(qs)) == 1
                row.append(f"{int(qs[0]):,} {'equal' if same else 'DIFFER'}" if qs else "-")
                ts = fig.get(label=stock, metric="trips", mode="aiterator", **want)
                tp = fig.get(label=patched, metric="trips", mode="aiterator", **want)
                row.append(f"{int(ts[0]):,} / {int(tp[0]):,}" if ts and tp else "-")
                rows.append(row)
        header = [
            "streams", "chunk_size",
            "aiterator wall s: stock", "patched", "patched/stock (paired)",
            "aiterator CPU s: stock", "patched", "patched/stock (paired)",
            "wall aiterator/iterator: stock", "patched",
            "queries", "trips stock / patched",
        ]
        out.append(
            caption(meta, f"{DBNAME.get(db, db)}: {stock} against {patched}, aiterator() + "
                    "prefetch_related('books'); the iterator() limit runs in the same process; "
                    "with S streams, aiterator() runs S streams gathered in one event loop and "
                    "iterator() the same S slices one after another; patched/stock pairs the "
                    "two runs of each round")
            + "\n\n" + table(header, rows)
        )
    return "\n\n".join(out)


def concurrency_section(fig, meta, labels, db):
    keys = fig.find(case="concurrency", db=db)
    if not keys:
        return ""
    streams = sorted({int(k[5]) for k in keys})
    contexts = [c for c in ("loop", "threadsensitive") if any(k[6] == c for k in keys)]
    rows = []
    for l in [l for l in labels if l != "sqlalchemy"]:
        for ctx in contexts:
            row = [l, "event loop" if ctx == "loop" else "ThreadSensitiveContext each"]
            for s in streams:
                want = dict(label=l, case="concurrency", db=db, streams=s, context=ctx)
                rps = cell(fig, 0, metric="rows_per_s", **want)
                fair = cell(fig, 2, metric="fairness", **want)
                row.append(rps if rps in ("raises", "error", "-") else f"{rps}; {fair}")
            rows.append(row)
    sa = fig.find(case="sqlalchemy", db=db)
    if sa:
        row = ["SQLAlchemy (AsyncSession each)", "event loop"]
        for s in streams:
            want = dict(label="sqlalchemy", case="sqlalchemy", db=db, streams=s, chunk_size=100)
            rps = cell(fig, 0, metric="rows_per_s", **want)
            fair = cell(fig, 2, metric="fairness", **want)
            row.append(rps if rps == "-" else f"{rps}; {fair}")
        rows.append(row)
    n = sorted({k[9] for k in keys})
    chunk = sorted({k[4] for k in keys})
    header = ["", "streams run"] + [f"{s} streams: rows/s; fairness" for s in streams]
    return caption(
        meta,
        f"{DBNAME.get(db, db)}: S aiterator(chunk_size={','.join(chunk)}) streams over "
        f"{', '.join(n)} authors in all (each stream a slice), total authors per second and "
        "fairness (slowest stream's finish time / fastest's; 1.00 is fair)",
    ) + "\n\n" + table(header, rows)


def memory_cell(fig, **want):
    live = fig.stats(metric="live_peak", **want)
    if live is None:
        err = fig.unsupported(**want)
        if err and "not supported" in err:
            return "raises"
        return "n/a" if err else "-"
    kib = fig.stats(metric="live_traced_peak_kib", **want)
    traced = fig.stats(metric="traced_peak_kib", **want)
    return f"{fmt_int(live)}; {fmt(kib, 0)}; {fmt(traced, 0)}"


def memory_section(fig, meta, labels, db):
    keys = fig.find(case="memory", db=db)
    if not keys:
        return ""
    sizes = sorted({int(k[9]) for k in keys})
    chunk = sorted({k[4] for k in keys})
    rows = []
    for l in [l for l in labels if l != "sqlalchemy"]:
        for mode in ("iterator", "aiterator"):
            for peers in ("0", "1"):
                want = dict(label=l, case="memory", db=db, mode=mode, fetch_peers=peers)
                if not fig.find(**want) and not fig.unsupported(**want):
                    continue
                name = f"{mode}()" + (" + FETCH_PEERS" if peers == "1" else "")
                row = [l, name]
                for n in sizes:
                    row.append(memory_cell(fig, rows=n, **want))
                if set(row[2:]) != {"n/a"}:
                    rows.append(row)
    for n in ("sqlalchemy",):
        want = dict(label="sqlalchemy", case="sqlalchemy-memory", db=db)
        if fig.find(**want):
            row = ["SQLAlchemy", "stream_scalars + yield_per"]
            for n in sizes:
                row.append(memory_cell(fig, rows=n, **want))
            rows.append(row)
    if len(sizes) > 1:
        header = ["", "iteration"] + [
            f"{n:,} authors: live instances; live KiB; traced peak KiB" for n in sizes] + [
            f"held bytes per author, {sizes[0]:,} to {sizes[-1]:,} (medians)"]
        for row in rows:
            label, name = row[0], row[1]
            if label == "SQLAlchemy":
                want = dict(label="sqlalchemy", case="sqlalchemy-memory", db=db)
            else:
                mode = "iterator" if name.startswith("iterator") else "aiterator"
                want = dict(label=label, case="memory", db=db, mode=mode,
                            fetch_peers="1" if "FETCH_PEERS" in name else "0")
            a = fig.stats(metric="live_traced_peak_kib", rows=sizes[0], **want)
            b = fig.stats(metric="live_traced_peak_kib", rows=sizes[-1], **want)
            row.append(f"{round((b[0] - a[0]) * 1024 / (sizes[-1] - sizes[0])):d}" if a and b else "")
    else:
        header = ["", "iteration"] + [
            f"{n:,} authors: live instances; live KiB; traced peak KiB" for n in sizes]
    return caption(
        meta,
        f"{DBNAME.get(db, db)}: chunk_size={','.join(chunk)}; live instances: the peak "
        "number of live model instances (authors + books, counted with gc.collect() every "
        "chunk_size/20 creations); live KiB: traced memory at those moments, over the "
        "start (what the iteration holds); traced peak KiB: tracemalloc's peak in a pass "
        "without collections forced (includes garbage waiting for the collector); rows with "
        "FETCH_PEERS only from 6.1",
    ) + "\n\n" + table(header, rows)


def cancel_section(fig, meta, labels, db):
    keys = fig.find(case="cancel", db=db)
    if not keys:
        return ""
    rows = []
    for l in [l for l in labels if l != "sqlalchemy"]:
        want = dict(label=l, case="cancel", db=db)
        s = fig.stats(metric="cancel_s", **want)
        if s is None:
            err = fig.unsupported(**want)
            rows.append([l, "raises" if err and "not supported" in err else "-", "", "", "", ""])
            continue
        usable = fig.get(metric="usable", **want)
        cancelled = fig.get(metric="cancelled", **want)
        cursors = fig.get(metric="open_cursors", **want)
        rows.append([
            l,
            fmt(s, 1, 1000, " ms"),
            cell(fig, 1, 1000, " ms", metric="next_query_s", **want),
            f"{int(sum(cancelled))}/{len(cancelled)}",
            f"{int(sum(usable))}/{len(usable)}",
            f"{int(max(cursors))}" if cursors else "n/a",
        ])
    delay = sorted({k[4] for k in keys})
    header = ["", "task.cancel() to the task's end",
              "task.cancel() to the next query's answer (same thread)", "ended by CancelledError", "connection usable after",
              "open server-side cursors after (max)"]
    return caption(
        meta,
        f"{DBNAME.get(db, db)}: aiterator(chunk_size={','.join(delay)}) cancelled while a "
        "chunk's prefetch query runs (slowed down by 50 ms in the database thread), 5 "
        "cancellations per process",
    ) + "\n\n" + table(header, rows)


def peer_section(fig, meta, labels, db):
    keys = fig.find(label="sqlalchemy", case="sqlalchemy", db=db, streams=1)
    if not keys:
        return ""
    chunks = sorted({int(k[4]) for k in keys})
    django_labels = [l for l in labels if l != "sqlalchemy"]
    rows = []
    for chunk in chunks:
        row = [chunk]
        want = dict(label="sqlalchemy", case="sqlalchemy", db=db, streams=1, chunk_size=chunk)
        row.append(cell(fig, 0, metric="rows_per_s", **want))
        rt = fig.stats(metric="queries_per_batch", **want)
        row.append("-" if rt is None else f"{rt[0]:.2f}")
        for l in django_labels:
            w = dict(label=l, case="ratio", db=db, streams=1, chunk_size=chunk, mode="aiterator")
            c = cell(fig, 0, metric="rows_per_s", **w)
            if c == "-" and fig.unsupported(label=l, case="ratio", db=db, streams=1, chunk_size=chunk):
                c = "raises"
            row.append(c)
        q = fig.get(label=django_labels[-1], case="ratio", db=db, streams=1, chunk_size=chunk,
                    mode="aiterator", metric="queries")
        n = [int(k[9]) for k in fig.find(label=django_labels[-1], case="ratio", db=db,
                                         streams=1, chunk_size=chunk)]
        row.append(f"{q[0] / -(-n[0] // chunk):.2f}" if q and n else "-")
        rows.append(row)
    header = ["chunk_size / yield_per", "SQLAlchemy authors/s", "SQLAlchemy queries per batch"] + [
        f"{l} aiterator() authors/s" for l in django_labels] + [
        f"{django_labels[-1]} queries per chunk"]
    driver = "aiosqlite" if db == "sqlite" else "asyncpg"
    return caption(
        meta,
        f"{DBNAME.get(db, db)}: SQLAlchemy 2 asyncio over {driver}, "
        "AsyncSession.stream_scalars(select(Author).options(selectinload(Author.books)))"
        " with yield_per(N), against Django's aiterator(chunk_size=N) + prefetch_related "
        "(the ratio case, same data, same authors); authors per second; queries per batch: "
        "statements executed / batches (the first SELECT, then one selectin or prefetch "
        "query per batch; fetches from a server-side cursor are not statements)",
    ) + "\n\n" + table(header, rows)


# --- plots ----------------------------------------------------------------------


def headline_section(fig, meta, labels):
    """One row per database and release: the figures a user asks for first."""
    rows = []
    for db in sorted({k[2] for k in fig.values}, key=lambda d: (d != "sqlite", d)):
        for stock, patched in pairs(labels):
            want = dict(case="ratio", db=db, streams=1)
            row = [DBNAME.get(db, db).split(" ")[0], stock.rsplit(" ", 1)[0]]
            for chunk in (1, 100, 2000):
                a = cell(fig, label=stock, chunk_size=chunk, metric="wall_ratio", **want)
                b = cell(fig, label=patched, chunk_size=chunk, metric="wall_ratio", **want)
                row.append(f"{a} → {b}")
            row.append(fmt(paired(fig, stock, patched, chunk_size=1, metric="cpu_s",
                                  mode="aiterator", **want)))
            mem = []
            for l in (stock, patched):
                sizes = sorted({int(k[9]) for k in fig.find(label=l, case="memory", db=db,
                                                              fetch_peers=1, mode="aiterator")})
                st = fig.stats(label=l, case="memory", db=db, fetch_peers=1, mode="aiterator",
                               rows=sizes[-1], metric="live_traced_peak_kib") if sizes else None
                mem.append(fmt(st, 0) if st else "n/a")
            row.append(" → ".join(mem))
            rows.append(row)
    if not rows:
        return ""
    return caption(
        meta,
        "Headlines, stock → patched: wall time aiterator()/iterator() (1 stream) at "
        "chunk_size 1, 100 and 2000; patched/stock CPU time of aiterator() at chunk_size=1, "
        "paired by round; KiB held by aiterator() + FETCH_PEERS at the largest size "
        "(6.1 only)",
    ) + "\n\n" + table(
        ["db", "release", "chunk 1", "chunk 100", "chunk 2000",
         "aiterator CPU patched/stock, chunk 1", "FETCH_PEERS KiB held"], rows)


COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]


def style(label, labels):
    """One colour per release, dashed for stock, solid otherwise."""
    releases = []
    for l in labels:
        r = l.rsplit(" ", 1)[0]
        if r not in releases:
            releases.append(r)
    release = label.rsplit(" ", 1)[0]
    color = COLORS[releases.index(release) % len(COLORS)] if release in releases else "black"
    return {"color": color, "linestyle": "--" if label.endswith(" stock") else "-"}


def closing_note(fig, meta, labels):
    """Generated: the headline ratios in words, and the run's wall time."""
    lines = []
    for db in sorted({k[2] for k in fig.values}, key=lambda d: (d != "sqlite", d)):
        for stock, patched in pairs(labels):
            want = dict(case="ratio", db=db, streams=1, chunk_size=1)
            a = fig.stats(label=stock, metric="wall_ratio", **want)
            b = fig.stats(label=patched, metric="wall_ratio", **want)
            c = paired(fig, stock, patched, metric="cpu_s", mode="aiterator", **want)
            w = paired(fig, stock, patched, metric="wall_s", mode="aiterator", **want)
            big = dict(case="ratio", db=db, streams=1, chunk_size=2000)
            b2 = fig.stats(label=patched, metric="wall_ratio", **big)
            release = stock.rsplit(" ", 1)[0]
            if b is None:
                continue
            first = (f"stock raises, patched {fmt(b)}" if a is None else
                     f"{fmt(a)} stock, {fmt(b)} patched")
            text = (f"- {DBNAME.get(db, db).split(' ')[0]}, {release}: aiterator()/iterator() wall "
                    f"time at chunk_size=1 {first}; at chunk_size=2000 {fmt(b2)} patched")
            if c is not None:
                text += (f"; patched/stock aiterator() time at chunk_size=1, paired by round: "
                         f"CPU {fmt(c)}, wall {fmt(w)}")
            lines.append(text + ".")
    rounds_done = len({r for key in fig.by_round for r in fig.by_round[key]})
    status = ("complete" if meta.get("complete") else
              f"INCOMPLETE, {rounds_done} of {meta['rounds']} rounds started")
    return (
        "### Closing note\n\n"
        f"Full run of {meta['date']}: {meta['wall_s'] / 60:.1f} min of wall time ({status}), "
        f"{meta['rounds']} rounds. Headline ratios, median [min-max] over rounds:\n\n"
        + "\n".join(lines)
    )


def plots(fig, meta, labels, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    dbs = sorted({k[2] for k in fig.values}, key=lambda d: (d != "sqlite", d))
    django_labels = [l for l in labels if l != "sqlalchemy"]

    def errbar(ax, xs, stats, label, **kw):
        pts = [(x, s) for x, s in zip(xs, stats) if s is not None]
        if not pts:
            return
        x = [p[0] for p in pts]
        med = [p[1][0] for p in pts]
        lo = [p[1][0] - p[1][1] for p in pts]
        hi = [p[1][2] - p[1][0] for p in pts]
        kw.setdefault("marker", "o")
        ax.errorbar(x, med, yerr=[lo, hi], label=label, capsize=3, **kw)

    # 1. ratio against chunk size
    if fig.find(case="ratio", streams=1):
        figure, axes = plt.subplots(1, len(dbs), figsize=(6 * len(dbs), 4.5), squeeze=False)
        for ax, db in zip(axes[0], dbs):
            chunks = sorted({int(k[4]) for k in fig.find(case="ratio", db=db, streams=1)})
            for l in django_labels:
                st = [fig.stats(label=l, case="ratio", db=db, streams=1, chunk_size=c,
                                metric="wall_ratio") for c in chunks]
                errbar(ax, chunks, st, l, **style(l, django_labels))
            ax.axhline(1.0, color="grey", linewidth=0.8)
            ax.set_xscale("log")
            ax.set_xlabel("chunk_size")
            ax.set_ylabel("wall time aiterator() / iterator()")
            ax.set_title(DBNAME.get(db, db))
            ax.legend(fontsize=8)
        figure.suptitle(f"aiterator() / iterator(), prefetch_related, 1 stream\nmedian and "
                        f"min-max of {meta['rounds']} rounds, {meta['date']}", fontsize=10)
        figure.tight_layout()
        path = os.path.join(out, "ratio_vs_chunk_size.png")
        figure.savefig(path, dpi=90)
        plt.close(figure)
        written.append(path)

    # 2. throughput against streams
    if fig.find(case="concurrency"):
        figure, axes = plt.subplots(1, len(dbs), figsize=(6 * len(dbs), 4.5), squeeze=False)
        for ax, db in zip(axes[0], dbs):
            keys = fig.find(case="concurrency", db=db)
            streams = sorted({int(k[5]) for k in keys})
            for l in django_labels:
                for ctx, marker in (("loop", "o"), ("threadsensitive", "s")):
                    st = [fig.stats(label=l, case="concurrency", db=db, streams=s, context=ctx,
                                    metric="rows_per_s") for s in streams]
                    kw = style(l, django_labels)
                    if ctx == "threadsensitive":
                        kw["linestyle"] = ":" if kw["linestyle"] == "--" else "-."
                    errbar(ax, streams, st, f"{l} ({'loop' if ctx == 'loop' else 'TSC'})",
                           **kw)
            st = [fig.stats(label="sqlalchemy", case="sqlalchemy", db=db, streams=s,
                            chunk_size=100, metric="rows_per_s") for s in streams]
            errbar(ax, streams, st, "SQLAlchemy", linestyle="-", color="black")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("concurrent streams")
            ax.set_ylabel("authors per second (all streams)")
            ax.set_title(DBNAME.get(db, db))
            ax.legend(fontsize=7)
        figure.suptitle("Throughput against concurrent streams, chunk_size=100\n"
                        "(TSC: each stream in a ThreadSensitiveContext)", fontsize=10)
        figure.tight_layout()
        path = os.path.join(out, "throughput_vs_streams.png")
        figure.savefig(path, dpi=90)
        plt.close(figure)
        written.append(path)

    # 3. memory against rows
    if fig.find(case="memory"):
        figure, axes = plt.subplots(1, len(dbs), figsize=(6 * len(dbs), 4.5), squeeze=False)
        for ax, db in zip(axes[0], dbs):
            sizes = sorted({int(k[9]) for k in fig.find(case="memory", db=db)})
            for l in django_labels:
                for peers in ("0", "1"):
                    st = [fig.stats(label=l, case="memory", db=db, mode="aiterator",
                                    fetch_peers=peers, rows=n, metric="live_traced_peak_kib")
                          for n in sizes]
                    if all(s is None for s in st):
                        continue
                    kw = style(l, django_labels)
                    if peers == "1":
                        kw["marker"] = "^"
                    errbar(ax, sizes, st, f"{l}{' + FETCH_PEERS' if peers == '1' else ''}", **kw)
            sa_sizes = sorted({int(k[9]) for k in fig.find(case="sqlalchemy-memory", db=db)})
            st = [fig.stats(label="sqlalchemy", case="sqlalchemy-memory", db=db, rows=n,
                            metric="live_traced_peak_kib") for n in sa_sizes]
            errbar(ax, sa_sizes, st, "SQLAlchemy", color="black", linestyle="-.")
            ax.set_xscale("log")
            ax.set_ylim(bottom=0)
            ax.set_xlabel("authors iterated (3 books each)")
            ax.set_ylabel("KiB held at the peak (traced, after gc.collect())")
            ax.set_title(DBNAME.get(db, db))
            ax.legend(fontsize=6)
        figure.suptitle("aiterator(chunk_size=500): memory held at the peak against rows\n"
                        "(iterator() is in the tables)", fontsize=10)
        figure.tight_layout()
        path = os.path.join(out, "memory_vs_rows.png")
        figure.savefig(path, dpi=90)
        plt.close(figure)
        written.append(path)
    return written


def summary_csv(fig, out):
    path = os.path.join(out, "summary.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(KEY) + ["median", "min", "max", "n"])
        for key in sorted(fig.values):
            vals = fig.values[key]
            w.writerow(list(key) + [statistics.median(vals), min(vals), max(vals), len(vals)])
    return path


def header(meta):
    return (
        f"Run of {meta['date']} (started {meta.get('started')}), plan `{meta['plan']}`, "
        f"{meta['rounds']} rounds, wall time of the whole run "
        f"{meta['wall_s'] / 60:.1f} min"
        f"{'' if meta.get('complete') else ' (INCOMPLETE: the run was stopped or is still going)'}; Python {meta.get('python')}; {meta.get('machine')}, "
        f"shared with other work (load average {', '.join(f'{x:.1f}' for x in meta.get('load_at_start', []))} "
        f"at the start). Command:\n\n```sh\n{meta['command']}\n```"
    )


def onetrip_only(out):
    """The head and the stock/patched tables only."""
    rows, meta = load(out)
    fig = Figures(rows)
    labels = labels_of(rows, meta)
    parts = [header(meta)]
    for db in dbs_of(rows):
        parts.append(onetrip_section(fig, meta, labels, db))
    return "\n\n".join(parts) + "\n"


def build(out, with_plots=True, rel=None):
    rows, meta = load(out)
    fig = Figures(rows)
    labels = labels_of(rows, meta)
    parts = [header(meta)]
    if meta.get("problems"):
        parts.append("Problems reported by the run:\n\n" + "\n".join(f"- {p}" for p in meta["problems"]))
    images = plots(fig, meta, labels, out) if with_plots else []
    rel = rel or out
    headline = headline_section(fig, meta, labels)
    if headline:
        parts.append(headline)
    for img in images:
        name = os.path.basename(img)
        parts.append(f"![{name}]({os.path.join(rel, name)})")
    for db in dbs_of(rows):
        parts.append(f"### {DBNAME.get(db, db)}")
        for section in (
            ratio_section(fig, meta, labels, db),
            onetrip_section(fig, meta, labels, db),
            concurrency_section(fig, meta, labels, db),
            memory_section(fig, meta, labels, db),
            cancel_section(fig, meta, labels, db),
            peer_section(fig, meta, labels, db),
        ):
            if section:
                parts.append(section)
    parts.append(closing_note(fig, meta, labels))
    summary_csv(fig, out)
    text = "\n\n".join(parts) + "\n"
    with open(os.path.join(out, "tables.md"), "w") as f:
        f.write(text)
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", help="folder with raw.csv and meta.json")
    parser.add_argument("--readme", help="Markdown file whose GENERATED part to replace")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--onetrip", metavar="FILE",
                        help="write only the stock/patched aiterator() tables to FILE")
    args = parser.parse_args()
    if args.onetrip:
        with open(args.onetrip, "w") as f:
            f.write(onetrip_only(args.out))
        return
    rel = None
    if args.readme:
        rel = os.path.relpath(args.out, os.path.dirname(os.path.abspath(args.readme)))
    text = build(args.out, not args.no_plots, rel)
    if args.readme:
        with open(args.readme) as f:
            readme = f.read()
        if BEGIN not in readme or END not in readme:
            sys.exit(f"{args.readme} has no GENERATED markers")
        before, rest = readme.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        with open(args.readme, "w") as f:
            f.write(before + BEGIN + "\n\n" + text + "\n" + END + after)
    print(os.path.join(args.out, "tables.md"))


if __name__ == "__main__":
    main()
