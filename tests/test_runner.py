"""forkpatch test and verify: the fake release's runtests.py in a real environment
made from the loopback index, and the checks that come before any set-up."""

import re
import socket

import fakedjango
import pytest
from conftest import error_of, forkpatch, make_series
from packaging.version import Version

from forkpatch.database import Database, parse_db
from forkpatch.runner import django_requirements, driver_requirements, settings_module

V = Version("4.2.30")


@pytest.fixture
def patches(stored, shared_venv, tmp_path, monkeypatch):
    root = stored("runner", "patches", lambda root: make_series(
        root,
        "4.2.x",
        V,
        [("Refs #1 -- Added a kit test.",
          {"tests/queries/tests.py": lambda t: "class T:\n    def test_q(self):\n        pass\n"})],
        tmp_path,
    ))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    return root


@pytest.fixture
def listening():
    """A loopback port that accepts connections (a server that answers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_test_checks_out_and_runs_the_default_labels(patches, tmp_path, capsys):
    code, out, err = forkpatch(capsys, "test", "4.2.30")
    assert code == 0, err
    tree = tmp_path / "build" / "trees" / "4.2.30"
    assert f"forkpatch: {tree} does not exist yet: checking it out" in err
    assert "running runtests.py async prefetch_related queries --noinput" in err
    assert "Ran 4 tests in" in out and out.rstrip().endswith("OK")
    assert f"forkpatch: series from {patches} (FORKPATCH_PATCHES)" in err


def test_labels_and_runtests_args(patches, capsys):
    code, out, err = forkpatch(
        capsys, "test", "4.2.30", "basic", "--", "--parallel", "1", "-v", "2"
    )
    assert code == 0, err
    assert "running runtests.py basic --noinput --parallel 1 -v 2" in err
    assert "test_basic (basic.tests.test_basic) ... ok" in out
    assert "Ran 1 test" in out


def test_failing_tests_give_runtests_status(patches, tmp_path, capsys):
    assert forkpatch(capsys, "checkout", "4.2.30")[0] == 0
    tree = tmp_path / "build" / "trees" / "4.2.30"
    (tree / "tests" / "basic" / "tests.py").write_text(
        "class T:\n    def test_fails(self):\n        pass\n"
    )
    code, out, _ = forkpatch(capsys, "test", "--tree", tree, "basic")
    assert code == 1
    assert "FAILED (failures=1)" in out


def test_test_arguments(capsys):
    with pytest.raises(SystemExit):
        forkpatch(capsys, "test")
    assert "test needs a VERSION or --tree DIR" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        forkpatch(capsys, "test", "4.2.30", "basic", "--parallel", "1")
    assert "unrecognized arguments: --parallel" in capsys.readouterr().err


def test_a_dead_server_is_one_line_and_sets_nothing_up(patches, tmp_path, capsys):
    code, _, err = forkpatch(
        capsys, "test", "4.2.30", "--db", "postgres://postgres@127.0.0.1:9/fp"
    )
    assert code == 2
    assert error_of(err).startswith(
        "the postgresql server at 127.0.0.1:9 does not answer ("
    )
    assert err.count("\n") == 1
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["venvs"]


def test_a_driver_that_cannot_build_is_reported_first(
    patches, tmp_path, listening, monkeypatch, capsys
):
    monkeypatch.setenv("PKG_CONFIG_LIBDIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("PKG_CONFIG_PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("MYSQLCLIENT_CFLAGS", raising=False)
    url = f"mysql://root@127.0.0.1:{listening}/fp"
    code, _, err = forkpatch(capsys, "test", "4.2.30", "--db", url)
    assert code == 2
    assert error_of(err).startswith(
        "the MySQL/MariaDB driver (mysqlclient) is compiled on install and needs "
    )
    assert error_of(err).endswith(
        "apt-get install pkg-config gcc libmariadb-dev; nothing was set up."
    )
    assert not (tmp_path / "build" / "trees").exists()


def test_a_refused_login_is_one_line(patches, index, listening, shared_venv, capsys):
    index.add(
        "psycopg",
        "psycopg-3.2.0-py3-none-any.whl",
        fakedjango.wheel("psycopg", "3.2.0"),
    )
    url = f"postgres://nobody@127.0.0.1:{listening}/x"
    code, out, err = forkpatch(capsys, "test", "4.2.30", "--db", url)
    assert code == 2
    assert error_of(err) == (
        f"the postgresql server at 127.0.0.1:{listening} refused the login as nobody "
        '(connection failed: FATAL: role "nobody" does not exist); check the URL\'s '
        "user, password and database."
    )
    assert "Traceback" not in out + err
    assert "psycopg[binary]" in (shared_venv / "forkpatch-requirements.txt").read_text()


def test_verify_prints_a_table_and_counts_tests(patches, tmp_path, capsys):
    code, out, err = forkpatch(capsys, "verify", "4.2.30")
    assert code == 0, err
    table = out[out.index("version  database") :].splitlines()
    assert re.fullmatch(r"version\s+database\s+tests run\s+result\s+seconds", table[0])
    assert re.fullmatch(r"4\.2\.30\s+sqlite\s+4\s+passed\s+\d+", table[2])
    log = tmp_path / "build" / "verify" / "4.2.30-sqlite.log"
    assert "test_q (queries.tests.test_q) ... ok" in log.read_text()
    assert "forkpatch: Django 4.2.30 on sqlite" in err


def test_verify_defaults_to_the_newest_of_each_line(patches, capsys):
    code, out, _ = forkpatch(capsys, "verify")
    assert code == 0
    assert re.search(r"^4\.2\.30\s+sqlite\s+4\s+passed", out, re.MULTILINE)


def test_settings_module(tmp_path):
    db = parse_db("mysql://root@127.0.0.1:3306/fp")
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
