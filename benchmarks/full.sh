#!/bin/sh
# The full benchmark run: 4.2.30, 5.2.19 and 6.1.3, stock against patched,
# plus SQLAlchemy, on SQLite and PostgreSQL; then the README's tables and plots.
#
#   benchmarks/full.sh [extra suite.py options, e.g. --rounds 3 --db sqlite]
#
# Trees: build/bench-trees/<version>-stock, and as "patched"
# build/bench-trees/<version>-final when build/bench-trees/FINAL_READY exists,
# else build/bench-trees/<version>-current (BENCH_PATCHED=final|current to
# choose). Virtual environments: build/bench-venvs/, made on first use with
# Python 3.12 (BENCH_PYTHON312 to point at another interpreter).
set -eu
cd "$(dirname "$0")/.."
trees=build/bench-trees
venvs=build/bench-venvs
if [ -z "${BENCH_PATCHED:-}" ]; then
    if [ -e "$trees/FINAL_READY" ]; then BENCH_PATCHED=final; else BENCH_PATCHED=current; fi
fi
py312=${BENCH_PYTHON312:-}
if [ -z "$py312" ]; then
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.12.1/bin/python" ]; then
        py312="$(pyenv root)/versions/3.12.1/bin/python"
    else
        py312=python3.12
    fi
fi
for name in django sqlalchemy; do
    if [ ! -x "$venvs/$name-py3.12/bin/python" ]; then
        "$py312" -m venv "$venvs/$name-py3.12"
        "$venvs/$name-py3.12/bin/python" -m pip install -q -r "benchmarks/requirements-$name.txt"
    fi
done
for version in 4.2.30 5.2.19 6.1.3; do
    for kind in stock "$BENCH_PATCHED"; do
        [ -d "$trees/$version-$kind" ] || { echo "missing $trees/$version-$kind" >&2; exit 2; }
    done
done
echo "patched trees: *-$BENCH_PATCHED" >&2
exec "$venvs/django-py3.12/bin/python" benchmarks/suite.py \
    --django "$trees/4.2.30-stock" --label "4.2.30 stock" \
    --django "$trees/4.2.30-$BENCH_PATCHED" --label "4.2.30 patched" \
    --django "$trees/5.2.19-stock" --label "5.2.19 stock" \
    --django "$trees/5.2.19-$BENCH_PATCHED" --label "5.2.19 patched" \
    --django "$trees/6.1.3-stock" --label "6.1.3 stock" \
    --django "$trees/6.1.3-$BENCH_PATCHED" --label "6.1.3 patched" \
    --python "$venvs/django-py3.12/bin/python" \
    --sqlalchemy-python "$venvs/sqlalchemy-py3.12/bin/python" \
    --db sqlite,postgres --rounds 5 --out benchmarks/results/full \
    --report --readme benchmarks/README.md "$@"
