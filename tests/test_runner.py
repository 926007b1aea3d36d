import subprocess
import sys

import pytest
from packaging.version import Version

from forkpatch import pythons
from forkpatch.errors import ForkpatchError
from forkpatch.runner import (
    Database,
    check_reachable,
    django_requirements,
    driver_requirements,
    parse_db,
    settings_module,
)


@pytest.mark.parametrize(
    "text, vendor",
    [
        (None, "sqlite"),
        ("sqlite", "sqlite"),
        ("sqlite:///:memory:", "sqlite"),
        ("postgres://postgres@127.0.0.1:5432/fp", "postgresql"),
        ("postgresql://u:p@db/fp", "postgresql"),
        ("mysql://root@127.0.0.1:3306/fp", "mysql"),
    ],
)
def test_parse_db(text, vendor):
    assert parse_db(text).vendor == vendor


def test_parse_db_rejects_other_engines():
    with pytest.raises(ForkpatchError) as info:
        parse_db("oracle://scott:tiger@db/orcl")
    assert str(info.value).startswith(
        "'oracle://scott:tiger@db/orcl' is not a PostgreSQL, MySQL/MariaDB or SQLite URL"
    )
    with pytest.raises(ForkpatchError, match="cannot read the database URL 'nonsense'"):
        parse_db("nonsense")


def test_unreachable_server_is_one_line():
    with pytest.raises(ForkpatchError) as info:
        check_reachable(Database("postgresql", "postgres://postgres@127.0.0.1:9/fp"))
    message = str(info.value)
    assert message.startswith("the postgresql server at 127.0.0.1:9 does not answer (")
    assert message.endswith("start it, or run on SQLite with --db sqlite.")
    assert "\n" not in message


def test_settings_module(tmp_path, monkeypatch):
    monkeypatch.setenv("FORKPATCH_BUILD", str(tmp_path))
    db = Database("mysql", "mysql://root@127.0.0.1:3306/fp")
    folder, module = settings_module(tmp_path, db, Version("4.2.30"))
    assert module == "forkpatch_mysql_4230"
    namespace = {}
    source = (folder / f"{module}.py").read_text()
    exec(source.replace("from test_sqlite import *", "pass  #"), namespace)
    default, other = namespace["DATABASES"]["default"], namespace["DATABASES"]["other"]
    assert default["ENGINE"] == other["ENGINE"] == "django.db.backends.mysql"
    assert (default["NAME"], other["NAME"]) == ("fp", "fp_other")
    assert default["TEST"] == {"NAME": "test_fp_4230"}
    assert other["TEST"] == {"NAME": "test_fp_4230_other"}
    assert "from test_sqlite import *" in source


def test_requirements_from_setup_cfg_and_pyproject(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[options]\ninstall_requires =\n    asgiref >= 3.6.0, < 4\n    sqlparse >= 0.3.1\n"
    )
    assert django_requirements(tmp_path) == [
        "asgiref >= 3.6.0, < 4",
        "sqlparse >= 0.3.1",
    ]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["asgiref>=3.8.1", "sqlparse>=0.5.0"]\n'
    )
    assert django_requirements(tmp_path) == ["asgiref>=3.8.1", "sqlparse>=0.5.0"]


@pytest.mark.parametrize(
    "vendor, version, wanted",
    [
        ("postgresql", "4.1.13", ["psycopg2-binary"]),
        ("postgresql", "4.2.30", ["psycopg[binary]"]),
        ("postgresql", "6.1.3", ["psycopg[binary]"]),
        ("mysql", "4.1.13", ["mysqlclient"]),
        ("sqlite", "5.2", []),
    ],
)
def test_driver_requirements(vendor, version, wanted):
    assert driver_requirements(Database(vendor, "x"), Version(version)) == wanted


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
    running = sys.version_info[:2]
    tree = pkg_info(tmp_path, running[1])
    assert str(pythons.find_python(tree)) == sys.executable


def test_find_python_looks_elsewhere(tmp_path, monkeypatch):
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


def test_find_python_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("FORKPATCH_PYTHON", raising=False)
    tree = pkg_info(tmp_path, 99)
    with pytest.raises(ForkpatchError) as info:
        pythons.find_python(tree)
    message = str(info.value)
    assert message.startswith("no Python 3.99 found (looked at: ")
    assert message.endswith(
        "install one (for example `pyenv install 3.12`) or pass --python PATH."
    )


def test_find_python_override(tmp_path, monkeypatch):
    running = sys.version_info[:2]
    tree = pkg_info(tmp_path, running[1])
    assert str(pythons.find_python(tree, sys.executable)) == sys.executable
    monkeypatch.setenv("FORKPATCH_PYTHON", sys.executable)
    assert str(pythons.find_python(tree)) == sys.executable
    with pytest.raises(
        ForkpatchError, match="the Python '/no/such/python' does not run."
    ):
        pythons.find_python(tree, "/no/such/python")
    with pytest.raises(ForkpatchError, match=r"but this Django supports 3\.99\.$"):
        pythons.find_python(pkg_info(tmp_path, 99), sys.executable)


def forkpatch(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "forkpatch", *args],
        capture_output=True, text=True, env={**__import__("os").environ, **env},
    )  # fmt: skip


def test_cli_help_explains_every_command():
    proc = forkpatch("--help")
    assert proc.returncode == 0
    for command in ("checkout", "test", "verify", "export"):
        assert command in proc.stdout
    proc = forkpatch("test", "--help")
    assert "Arguments after -- go to runtests.py" in " ".join(proc.stdout.split())


def test_cli_errors_are_one_line(tmp_path):
    proc = forkpatch("checkout", "3.2.25", FORKPATCH_BUILD=str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "forkpatch: error: no patch series covers Django 3.2.25"
    )
    assert proc.stderr.count("\n") == 1
    proc = forkpatch(
        "test", "4.2.30", "--db", "postgres://postgres@127.0.0.1:9/fp",
        FORKPATCH_BUILD=str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "forkpatch: error: the postgresql server at 127.0.0.1:9"
    )
    assert list(tmp_path.iterdir()) == [], "nothing may be set up for a dead database"
    proc = forkpatch("test")
    assert proc.returncode == 2 and "test needs a VERSION or --tree DIR" in proc.stderr
    proc = forkpatch("export", str(tmp_path), "--", "x")
    assert proc.returncode == 2 and "arguments after -- are for" in proc.stderr
