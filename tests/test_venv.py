"""Venv: reuse decided by the stamp; pip installs from the one index."""

import sys

import pytest

from forkpatch import venv as venv_module
from forkpatch.errors import ForkpatchError
from forkpatch.venv import Venv


def test_made_once_reused_by_its_stamp_and_completed(index, shared_venv):
    """shared_venv was made by Venv.ensure(["tblib"]) from the loopback index."""
    index.add(
        "extra",
        "extra-1.0-py3-none-any.whl",
        __import__("fakedjango").wheel("extra", "1.0"),
    )
    venv = Venv(shared_venv, sys.executable)
    python = venv.python
    assert venv.installed() >= {"tblib"}
    index.requests.clear()
    assert venv.ensure(["tblib"], index.url) == python
    assert index.requests == []  # Reused: the stamp lists it.
    (venv.path / "marker").write_text("")
    venv.stamp.write_text(
        "".join(f"{r}\n" for r in sorted(venv.installed() - {"extra"}))
    )
    venv.ensure(["extra", "tblib"], index.url)
    # pip found extra on the loopback index (or, on a later run, already installed).
    assert venv.installed() >= {"extra", "tblib"}
    assert (venv.path / "marker").exists(), "completed, not made again"
    with pytest.raises(ForkpatchError) as info:
        venv.ensure(["nosuchpkg"], index.url, hint="; a hint")
    message = str(info.value)
    assert message.startswith("pip install nosuchpkg failed: ERROR: ")
    assert message.endswith("; a hint") and "\n" not in message
    assert "nosuchpkg" not in venv.installed()


def test_an_exact_stamp_makes_it_again_when_it_differs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(
        venv_module.proc, "run", lambda cmd, **kw: calls.append(cmd[1:4])
    )
    venv = Venv(tmp_path / "env", "python3")
    venv.python.parent.mkdir(parents=True)
    venv.python.write_text("")
    venv.stamp.write_text("a==1\n")
    venv.ensure(["a==1"], "http://index", exact=True)
    assert calls == []
    venv.ensure(["a==2"], "http://index", exact=True)
    assert calls[0] == ["-m", "venv", "--clear"]
    assert calls[1] == ["-m", "pip", "install"]
    assert venv.installed() == {"a==2"}
