"""Running a tree's own tests/runtests.py in a virtual environment made for it.

Before anything is set up, the database is checked: the server must answer, and a
driver that has to be compiled (mysqlclient) must find what it compiles against.
Once the environment exists, a login with the URL's user is tried, so a refused
login is one line rather than Django's traceback.
"""

import configparser
import json
import logging
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

from packaging.version import Version

from forkpatch import proc
from forkpatch.errors import ForkpatchError
from forkpatch.progress import Status
from forkpatch.pythons import find_python, version_of
from forkpatch.sdist import index_url
from forkpatch.venv import Venv

log = logging.getLogger(__name__)

#: Apps run on every line: the feature's own, whatever the series touches.
BASE_APPS = ["async", "prefetch_related"]

RAN_RE = re.compile(r"^Ran (\d+) tests? in", re.MULTILINE)
#: One line per test at verbosity 2: "test_x (app.tests.T.test_x) ... ok".
TEST_LINE_RE = re.compile(r"^\S.* \.\.\. ")

#: pkg-config names mysqlclient's build looks for.
MYSQL_PKG_CONFIG = ("mysqlclient", "mariadb", "libmariadb", "perconaserverclient")

MYSQL_HINT = (
    "; mysqlclient is compiled on install and needs pkg-config, a C compiler and "
    "the MariaDB client headers (apt-get install pkg-config gcc libmariadb-dev)"
)

#: Run with the environment's Python and the tree on sys.path: connect as the URL says.
LOGIN_CHECK = """\
import json, sys
import django
from django.conf import settings
settings.configure(DATABASES={"default": json.loads(sys.argv[1])})
django.setup()
from django.db import connection
try:
    with connection._nodb_cursor() as cursor:
        if connection.vendor == "mysql":
            # Django's test models ask the server about itself through the
            # URL's database at import: on MySQL and MariaDB it must exist.
            cursor.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                [connection.settings_dict["NAME"]],
            )
            if cursor.fetchone() is None:
                sys.exit(3)
except Exception as exc:
    text = " ".join(str(exc).split()) or type(exc).__name__
    print(text, file=sys.stderr)
    sys.exit(1)
"""


def driver_requirements(db, version):
    if db.vendor == "postgresql":
        # Django supports psycopg 3 from 4.2 on; 4.1 knows psycopg2 only.
        return ["psycopg2-binary"] if version < Version("4.2") else ["psycopg[binary]"]
    if db.vendor == "mysql":
        return ["mysqlclient"]
    return []


def check_driver(db):
    """Fail in one line, before any set-up, when the driver cannot be built here."""
    if db.vendor != "mysql" or os.environ.get("MYSQLCLIENT_CFLAGS"):
        return
    missing = []
    if not shutil.which("pkg-config"):
        missing.append("pkg-config")
    elif not any(
        proc.run(
            ["pkg-config", "--exists", name], what="pkg-config", check=False
        ).returncode
        == 0
        for name in MYSQL_PKG_CONFIG
    ):
        missing.append("the MariaDB client headers (libmariadb-dev)")
    if not (shutil.which("cc") or shutil.which("gcc")):
        missing.append("a C compiler")
    if missing:
        raise ForkpatchError(
            "the MySQL/MariaDB driver (mysqlclient) is compiled on install and needs "
            f"{' and '.join(missing)}: apt-get install pkg-config gcc "
            "libmariadb-dev; nothing was set up."
        )


def settings_module(build, db, version):
    """Write a settings module for runtests.py --settings; its folder and name."""
    name = db.settings["NAME"]
    tag = str(version).replace(".", "")
    default = {**db.settings, "TEST": {"NAME": f"test_{name}_{tag}"}}
    other = {
        **db.settings,
        "NAME": f"{name}_other",
        "TEST": {"NAME": f"test_{name}_{tag}_other"},
    }
    folder = Path(build) / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    module = f"forkpatch_{db.vendor}_{tag}"
    (folder / f"{module}.py").write_text(
        "# Written by forkpatch test: Django's own test settings with another database.\n"
        "from test_sqlite import *  # noqa: F401,F403\n\n"
        f"DATABASES = {{'default': {default!r}, 'other': {other!r}}}\n"
    )
    return folder, module


def django_requirements(tree):
    """The install requirements the tree itself declares."""
    pyproject = Path(tree) / "pyproject.toml"
    if pyproject.is_file():
        deps = (
            tomllib.loads(pyproject.read_text()).get("project", {}).get("dependencies")
        )
        if deps:
            return list(deps)
    parser = configparser.ConfigParser()
    parser.read(Path(tree) / "setup.cfg")
    text = parser.get("options", "install_requires", fallback="")
    return [line.strip() for line in text.splitlines() if line.strip()]


def release_venv(build, tree, series, db, version, python=None):
    """The environment for a tree's tests: its Python, requirements and db driver."""
    interpreter = find_python(tree, python)
    major, minor = version_of(str(interpreter))
    venv = Venv(Path(build) / "venvs" / f"{series.name}-py{major}.{minor}", interpreter)
    wanted = {*django_requirements(tree), "tblib", *driver_requirements(db, version)}
    hint = MYSQL_HINT if "mysqlclient" in wanted else ""
    return venv.ensure(sorted(wanted), index_url(), hint=hint)


def check_login(venv_python, tree, db):
    """One line, before the tests, when the server refuses the URL's login."""
    if db.vendor == "sqlite":
        return
    result = proc.run(
        [venv_python, "-c", LOGIN_CHECK, json.dumps(db.settings)],
        what="the login check",
        cwd=tree,
        env=_env([tree]),
        unset=UNSET,
        check=False,
    )
    if result.returncode == 3:
        name = db.settings["NAME"]
        raise ForkpatchError(
            f"{db.where} has no database {name}; Django's tests need it to exist "
            f"on MySQL and MariaDB: create it (CREATE DATABASE `{name}`) or name "
            "another in the URL."
        )
    if result.returncode:
        user = db.settings.get("USER") or "the default user"
        raise ForkpatchError(
            f"{db.where} refused the login as {user} "
            f"({proc.last_line(result.stderr)}); check the URL's user, password "
            "and database."
        )


def run_tests(build, tree, version, series, db, labels=(), extra=(), python=None,
              output=None, default_labels=True):  # fmt: skip
    """Run tests/runtests.py of a tree; return (status, tests run).

    Its output is streamed to stdout, or with output (a path) written there while
    a status line counts the tests run so far. Without labels, the default ones
    (or, with default_labels=False, none: Django's whole suite).
    """
    tree = Path(tree).resolve()
    venv_python = release_venv(build, tree, series, db, version, python)
    check_login(venv_python, tree, db)
    labels = list(labels)
    if not labels and default_labels:
        labels = sorted({*BASE_APPS, *series.test_apps()})
    cmd = [venv_python, "runtests.py", *labels, "--noinput", *extra]
    pythonpath = [tree]
    if db.vendor != "sqlite":
        folder, module = settings_module(build, db, version)
        cmd += ["--settings", module]
        pythonpath.append(folder)
    if output is not None:
        cmd += ["-v", "2"]
    shown = " ".join(str(part) for part in cmd[1:])
    log.info(f"running {shown} in {tree / 'tests'} on {db.vendor}")
    if output is None:
        result = proc.run(
            cmd, what="runtests.py", cwd=tree / "tests", env=_env(pythonpath),
            unset=UNSET, check=False, on_line=sys.stdout.write,
        )  # fmt: skip
    else:
        with open(output, "w") as out, Status(f"Django {version} on {db.vendor}") as st:
            count = 0

            def on_line(line):
                nonlocal count
                out.write(line)
                if TEST_LINE_RE.match(line):
                    count += 1
                    st.update(f"{count} tests run")

            result = proc.run(
                cmd, what="runtests.py", cwd=tree / "tests", env=_env(pythonpath),
                unset=UNSET, check=False, on_line=on_line,
            )  # fmt: skip
    ran = RAN_RE.findall(result.stdout)
    return result.returncode, int(ran[-1]) if ran else 0


def _echo(line):
    sys.stdout.write(line)
    sys.stdout.flush()


#: Variables that would point the tree's Python at other code or settings.
UNSET = ("DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONHOME")


def _env(pythonpath):
    """PYTHONPATH for the tree's Python (with proc.run's unset=UNSET)."""
    return {
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
