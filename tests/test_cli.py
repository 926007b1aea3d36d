"""The command line: help, one-line errors, which series tree it uses."""

import argparse
import configparser
import subprocess
import sys

import pytest
from conftest import ROOT, error_of, forkpatch, forkpatch_process, write_series_folder

from forkpatch import cli


def test_help_explains_every_command():
    proc = forkpatch_process("--help")
    assert proc.returncode == 0
    for command in (
        "checkout",
        "test",
        "difftest",
        "rebase",
        "outdated",
        "verify",
        "export",
        "vendor",
        "wheel",
    ):
        assert command in proc.stdout
    proc = forkpatch_process("test", "--help")
    assert "Arguments after -- go to runtests.py" in " ".join(proc.stdout.split())
    assert proc.stdout.startswith("usage: forkpatch test ")
    assert "[-- RUNTESTS-ARGS ...]" in proc.stdout.splitlines()[0]


def test_every_positional_argument_has_help():
    parser = cli.build_parser()
    subparsers = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if not action.option_strings:
                assert action.help, f"{name} {action.dest} has no help"


def test_python_requires_matches_the_readme():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    requires = config.get("options", "python_requires")
    assert requires == ">=3.11"
    assert "Python >= 3.11" in (ROOT / "README.md").read_text()


def test_the_tool_does_not_depend_on_django():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    install = config.get("options", "install_requires").lower()
    assert "django" not in install
    code = (
        "import sys, forkpatch.cli, forkpatch.runner, forkpatch.database; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'dj_database_url', 'pip')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    assert proc.stdout.strip() == "[]", proc.stderr


def test_errors_are_one_line(tmp_path):
    proc = forkpatch_process(
        "checkout", "3.2.25", FORKPATCH_PATCHES=str(ROOT / "patches")
    )
    assert proc.returncode == 2
    assert error_of(proc.stderr).startswith("no patch series covers Django 3.2.25")
    assert proc.stderr.count("\n") == 2  # The series line, then the error.
    proc = forkpatch_process("export", tmp_path, "--", "x")
    assert proc.returncode == 2 and "unrecognized arguments: x" in proc.stderr


def test_it_says_which_series_tree_it_uses(index, tmp_path, capsys, monkeypatch):
    root = tmp_path / "mine"
    write_series_folder(root, "4.2.x")
    code, out, err = forkpatch(capsys, "--patches", root, "checkout", "4.2.30",
                               "--dest", tmp_path / "a")  # fmt: skip
    assert code == 0, err
    assert err.splitlines()[0] == f"forkpatch: series from {root} (--patches)"
    assert "applying 0 patch(es) from mine/4.2.x" in err
    code, _, err = forkpatch(capsys, "checkout", "4.2.30", "--dest", tmp_path / "b",
                             "--patches", root)  # fmt: skip
    assert code == 0, err
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    code, _, err = forkpatch(capsys, "checkout", "4.2.30", "--dest", tmp_path / "c")
    assert err.splitlines()[0] == f"forkpatch: series from {root} (FORKPATCH_PATCHES)"
    monkeypatch.delenv("FORKPATCH_PATCHES")
    code, _, err = forkpatch(capsys, "vendor", tmp_path / "nothing")
    assert (
        err.splitlines()[0]
        == "forkpatch: error: " + f"{tmp_path / 'nothing'} does not exist."
    )
    code, _, err = forkpatch(
        capsys, "--patches", tmp_path / "none", "checkout", "4.2.30"
    )
    assert (
        error_of(err)
        == f"the series folder {tmp_path / 'none'} (--patches) does not exist."
    )


def test_default_series_are_the_kits_own(capsys):
    code, _, err = forkpatch(capsys, "checkout", "3.2.25")
    assert code == 2
    assert err.splitlines()[0] == (
        f"forkpatch: series from {ROOT / 'patches'} (the kit's checkout)"
    )


@pytest.mark.parametrize("args", [["--version"]])
def test_version(args, capsys):
    with pytest.raises(SystemExit):
        cli.main(args)
    assert capsys.readouterr().out.strip() == __import__("forkpatch").__version__
