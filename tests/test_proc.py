import sys

import pytest

from forkpatch import proc
from forkpatch.errors import ForkpatchError


def test_a_failure_is_the_line_that_says_why():
    with pytest.raises(ForkpatchError) as info:
        proc.run(
            [sys.executable, "-c",
             "import sys; print('ERROR: the cause', file=sys.stderr); "
             "print('WARNING: noise', file=sys.stderr); sys.exit(3)"],
            what="the step", hint="; do this",
        )  # fmt: skip
    assert str(info.value) == "the step failed: ERROR: the cause; do this"


def test_check_false_returns_the_status():
    result = proc.run(
        [sys.executable, "-c", "raise SystemExit(4)"], what="x", check=False
    )
    assert result.returncode == 4


def test_streamed_lines_and_environment(monkeypatch):
    monkeypatch.setenv("FORKPATCH_DROP", "1")
    lines = []
    result = proc.run(
        [sys.executable, "-c",
         "import os, sys; print(os.environ.get('A'), 'FORKPATCH_DROP' in os.environ); "
         "print('err', file=sys.stderr)"],
        what="x", env={"A": "b"}, unset=["FORKPATCH_DROP"], on_line=lines.append,
    )  # fmt: skip
    assert sorted(lines) == ["b False\n", "err\n"]
    assert result.stdout.count("\n") == 2


def test_a_missing_program_and_a_timeout():
    with pytest.raises(ForkpatchError, match="^no-such-program is not installed"):
        proc.run(["no-such-program"], what="x")
    with pytest.raises(ForkpatchError, match="^sleeping failed: no answer in 0.2 s.$"):
        proc.run([sys.executable, "-c", "import time; time.sleep(5)"], what="sleeping",
                 timeout=0.2)  # fmt: skip
