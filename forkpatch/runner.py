"""Running a tree's own tests/runtests.py in a virtual environment made for it."""

import configparser
import os
import re
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
from packaging.version import Version

from forkpatch.errors import ForkpatchError
from forkpatch.paths import build_dir
from forkpatch.pythons import find_python, version_of

#: Apps run on every line: the feature's own, whatever the series touches.
BASE_APPS = ["async", "prefetch_related"]

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
RAN_RE = re.compile(r"^Ran (\d+) tests? in", re.MULTILINE)


@dataclass(frozen=True)
class Database:
    """What --db named: sqlite, or a server reached by URL."""

    vendor: str
    url: str | None = None


def parse_db(text):
    """sqlite (the default), postgres://... or mysql://... as a Database."""
    if text in (None, "", "sqlite"):
        return Database("sqlite")
    try:
        config = dj_database_url.parse(text)
    except Exception as exc:  # dj-database-url raises several types.
        raise ForkpatchError(f"cannot read the database URL {text!r}: {exc}")
    engine = config.get("ENGINE", "")
    for vendor in ("postgresql", "mysql", "sqlite3"):
        if engine == f"django.db.backends.{vendor}":
            break
    else:
        raise ForkpatchError(
            f"{text!r} is not a PostgreSQL, MySQL/MariaDB or SQLite URL "
            "(try sqlite, postgres://postgres@127.0.0.1:5432/forkpatch or "
            "mysql://root@127.0.0.1:3306/forkpatch)."
        )
    if vendor == "sqlite3":
        return Database("sqlite")
    return Database(vendor, text)


def check_reachable(db, timeout=5):
    """Fail in one line, before any set-up, when a database server does not answer."""
    if db.vendor == "sqlite":
        return
    config = dj_database_url.parse(db.url)
    host = config.get("HOST") or "127.0.0.1"
    port = int(config.get("PORT") or DEFAULT_PORTS[db.vendor])
    if host.startswith("/"):
        return  # A Unix socket: the driver will say if it is not there.
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ForkpatchError(
            f"the {db.vendor} server at {host}:{port} does not answer ({exc.strerror or exc}); "
            "start it, or run on SQLite with --db sqlite."
        )


def settings_module(tree, db, version):
    """Write a settings module for runtests.py --settings and return its folder and name."""
    config = dj_database_url.parse(db.url)
    name = config.get("NAME") or "forkpatch"
    tag = str(version).replace(".", "")
    default = {**config, "NAME": name, "TEST": {"NAME": f"test_{name}_{tag}"}}
    other = {
        **config,
        "NAME": f"{name}_other",
        "TEST": {"NAME": f"test_{name}_{tag}_other"},
    }
    folder = build_dir() / "settings"
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
    setup_cfg = Path(tree) / "setup.cfg"
    parser = configparser.ConfigParser()
    parser.read(setup_cfg)
    text = parser.get("options", "install_requires", fallback="")
    return [line.strip() for line in text.splitlines() if line.strip()]


def driver_requirements(db, version):
    if db.vendor == "postgresql":
        # Django supports psycopg 3 from 4.2 on; 4.1 knows psycopg2 only.
        return ["psycopg2-binary"] if version < Version("4.2") else ["psycopg[binary]"]
    if db.vendor == "mysql":
        return ["mysqlclient"]
    return []


def ensure_venv(tree, series_name, version, db, python=None, log=print):
    """A virtual environment with the tree's requirements; made once and reused."""
    interpreter = find_python(tree, python)
    major, minor = version_of(str(interpreter))
    venv = build_dir() / "venvs" / f"{series_name}-py{major}.{minor}"
    venv_python = venv / "bin" / "python"
    wanted = sorted(
        {*django_requirements(tree), "tblib", *driver_requirements(db, version)}
    )
    stamp = venv / "forkpatch-requirements.txt"
    have = set(stamp.read_text().splitlines()) if stamp.is_file() else set()
    if venv_python.is_file() and set(wanted) <= have:
        return venv_python
    if not venv_python.is_file():
        log(f"creating {venv} with {interpreter} (Python {major}.{minor})")
        proc = subprocess.run(
            [str(interpreter), "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if proc.returncode:
            raise ForkpatchError(f"cannot create {venv}: {proc.stderr.strip()}")
    log(f"installing into {venv.name}: {' '.join(wanted)}")
    pip_install(venv_python, wanted, " ".join(wanted))
    stamp.write_text("\n".join(sorted(have | set(wanted))) + "\n")
    return venv_python


def pip_install(python, arguments, what):
    """pip install into an environment; a failure is one line naming what failed."""
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *arguments],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        lines = [
            line
            for line in proc.stderr.splitlines()
            if line.strip() and not line.startswith("WARNING")
        ]
        hint = ""
        if "mysqlclient" in arguments and "pkg-config" in proc.stderr:
            hint = " (mysqlclient needs pkg-config and libmariadb-dev: apt-get install them)"
        raise ForkpatchError(
            f"pip could not install {what}: {lines[-1] if lines else 'no output'}{hint}"
        )


def run_tests(tree, version, series, db, labels=(), extra=(), python=None, log=print):
    """Run tests/runtests.py of a tree; stream its output; return (status, tests run)."""
    tree = Path(tree).resolve()
    venv_python = ensure_venv(tree, series.name, version, db, python, log)
    labels = list(labels) or sorted({*BASE_APPS, *series.test_apps()})
    cmd = [str(venv_python), "runtests.py", *labels, "--noinput", *extra]
    pythonpath = [str(tree)]
    if db.vendor != "sqlite":
        folder, module = settings_module(tree, db, version)
        cmd += ["--settings", module]
        pythonpath.append(str(folder))
    log(f"running {' '.join(cmd[1:])} in {tree / 'tests'} on {db.vendor}")
    env = {"PYTHONPATH": ":".join(pythonpath), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        cmd,
        cwd=tree / "tests",
        env={**_clean_environ(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    for line in proc.stdout:
        sys.stdout.write(line)
        output.append(line)
    status = proc.wait()
    ran = RAN_RE.findall("".join(output))
    return status, int(ran[-1]) if ran else 0


def _clean_environ():
    """The environment without variables that would point runtests at other code."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
    }
