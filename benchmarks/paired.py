"""Paired per-round ratios of aiterator() time between two trees of one raw.csv.

Usage: python benchmarks/paired.py RAW.CSV BASE_LABEL NEW_LABEL

For each round, NEW's time over BASE's time for the same case (both ran in that
round, back to back); prints the median [min-max] of those ratios and how many
rounds were below 1, for wall and CPU time, with the query counts of both.
"""
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
base, new = sys.argv[2], sys.argv[3]
d = {}
for r in rows:
    if r["metric"] in ("wall_s","cpu_s") and r["value"]:
        d[(r["label"], r["chunk_size"], r["streams"], r["mode"], r["metric"], r["round"])] = float(r["value"])
rounds = sorted({k[5] for k in d}, key=int)
q = {}
for r in rows:
    if r["metric"] == "queries" and r["value"]:
        q.setdefault((r["label"], r["chunk_size"], r["streams"], r["mode"]), set()).add(r["value"])
print(f"paired per-round ratio of aiterator() time, {new} / {base}: median [min-max], rounds below 1")
print("| streams | chunk_size | wall | CPU | queries (base/new, aiterator/iterator) |")
print("|---|---|---|---|---|")
for streams in ["1","16"]:
  for cs in ["1","10","100","2000"]:
    cells=[]
    for metric in ["wall_s","cpu_s"]:
        rs=[d[(new,cs,streams,"aiterator",metric,r)]/d[(base,cs,streams,"aiterator",metric,r)] for r in rounds if (new,cs,streams,"aiterator",metric,r) in d and (base,cs,streams,"aiterator",metric,r) in d]
        cells.append(f"{st.median(rs):.2f} [{min(rs):.2f}-{max(rs):.2f}] {sum(x<1 for x in rs)}/{len(rs)}")
    qs = "/".join(",".join(sorted(q.get((l,cs,streams,m),{"?"}))) for l in (base,new) for m in ("aiterator","iterator"))
    print(f"| {streams} | {cs} | {cells[0]} | {cells[1]} | {qs} |")
