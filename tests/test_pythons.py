import sys

import pytest

from forkpatch import pythons
from forkpatch.errors import ForkpatchError


def pkg_info(tmp_path, *minors):
    tmp_path.joinpath("PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: Django\n"
        + "".join(
            f"Classifier: Programming Language :: Python :: 3.{m}\n" for m in minors
        )
        + "Classifier: Programming Language :: Python :: 3 :: Only\n"
    )
    return tmp_path


def test_supported_pythons_from_the_release(tmp_path):
    assert pythons.supported_pythons(pkg_info(tmp_path, 12, 13, 14)) == [
        (3, 12), (3, 13), (3, 14),
    ]  # fmt: skip
    with pytest.raises(ForkpatchError, match="does not say which Python versions"):
        pythons.supported_pythons(tmp_path / "missing")


def test_find_python_prefers_the_running_one(tmp_path):
    tree = pkg_info(tmp_path, sys.version_info[1])
    assert str(pythons.find_python(tree)) == sys.executable


def test_find_python_looks_elsewhere(tmp_path):
    """A release that does not support the running Python gets another one found."""
    running = sys.version_info[:2]
    others = [
        (path, pythons.version_of(str(path)))
        for path in pythons.candidates()
        if pythons.version_of(str(path)) not in (None, running)
    ]
    if not others:
        pytest.skip("only one Python on this machine")
    path, (major, minor) = others[0]
    found = pythons.find_python(pkg_info(tmp_path, minor))
    assert pythons.version_of(str(found)) == (major, minor)


def test_find_python_says_what_to_do(tmp_path):
    with pytest.raises(ForkpatchError) as info:
        pythons.find_python(pkg_info(tmp_path, 99))
    message = str(info.value)
    assert message.startswith("no Python 3.99 found (looked at: ")
    assert message.endswith(
        "install one (for example `pyenv install 3.12`) or pass --python PATH."
    )


def test_find_python_override(tmp_path, monkeypatch):
    tree = pkg_info(tmp_path, sys.version_info[1])
    assert str(pythons.find_python(tree, sys.executable)) == sys.executable
    monkeypatch.setenv("FORKPATCH_PYTHON", sys.executable)
    assert str(pythons.find_python(tree)) == sys.executable
    with pytest.raises(
        ForkpatchError, match="the Python '/no/such/python' does not run."
    ):
        pythons.find_python(tree, "/no/such/python")
    with pytest.raises(ForkpatchError, match=r"but this Django supports 3\.99\.$"):
        pythons.find_python(pkg_info(tmp_path, 99), sys.executable)
