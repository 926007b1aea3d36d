"""The matrix as nox sessions: the newest release of every line the series cover,
on SQLite, PostgreSQL and MariaDB.

- test-VERSION-DATABASE: forkpatch test (the default labels);
- difftest-VERSION-DATABASE: forkpatch difftest (Django's whole suite, patched,
  compared with the pristine release).

The releases come from the package index (FORKPATCH_INDEX_URL, else PIP_INDEX_URL,
else PyPI) and the series from FORKPATCH_PATCHES or the kit's patches/. Sessions
run forkpatch with the interpreter nox runs in (python -m pip install -e . nox),
so that its virtual environments under build/ are shared. Database URLs:
FORKPATCH_TEST_POSTGRES and FORKPATCH_TEST_MYSQL.

  nox -l                          list the sessions
  nox -l --json                   the same, for a CI matrix
  nox -s test-4.2.30-postgres     one of them
"""

import os
import sys

import nox

from forkpatch import sdist
from forkpatch.paths import patches_dir
from forkpatch.series import supported_lines

nox.options.default_venv_backend = "none"

DATABASES = {
    "sqlite": "sqlite",
    "postgres": os.environ.get(
        "FORKPATCH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/forkpatch"
    ),
    "mysql": os.environ.get(
        "FORKPATCH_TEST_MYSQL", "mysql://root@127.0.0.1:3306/forkpatch"
    ),
}


def _newest_releases():
    root, _ = patches_dir()
    return [str(sdist.newest(line)) for line in supported_lines(root)]


def _make(command, version, db, url):
    def run(session):
        # nox -s NAME -- ARGS: the arguments go on to runtests.py.
        extra = ["--", *session.posargs] if session.posargs else []
        session.run(
            sys.executable, "-m", "forkpatch", command, version, "--db", url, *extra,
            external=True,
        )  # fmt: skip

    run.__doc__ = f"forkpatch {command} {version} --db {url}"
    return run


for _version in _newest_releases():
    for _db, _url in DATABASES.items():
        for _command in ("test", "difftest"):
            nox.session(
                name=f"{_command}-{_version}-{_db}",
                tags=[_command, _db, _version],
            )(_make(_command, _version, _db, _url))
