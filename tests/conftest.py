"""Shared fixtures for the kit's own tests.

Unit tier (everything not marked integration): no network, no real Django. A
loopback package index (``index``) serves fake Django sdists made by
``fakedjango`` and a fake tblib wheel for pip; build trees, caches and virtual
environments go to temporary folders; git gets an identity of its own.

Integration tier: real releases from the real index, real databases (the
servers answer, or the test is skipped; a failure when CI is set), real wheels.
FORKPATCH_TEST_POSTGRES / FORKPATCH_TEST_MYSQL override the database URLs.
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fakedjango
import pytest

from forkpatch import cli
from forkpatch.database import check_reachable, parse_db
from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import PRISTINE_IDENTITY
from forkpatch.series import series_for
from forkpatch.tree import checkout, export
from forkpatch.wheel import PINNED

ROOT = Path(__file__).resolve().parent.parent

DATABASES = {
    "sqlite": "sqlite",
    "postgresql": os.environ.get(
        "FORKPATCH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/forkpatch"
    ),
    "mysql": os.environ.get(
        "FORKPATCH_TEST_MYSQL", "mysql://root@127.0.0.1:3306/forkpatch"
    ),
}

#: Releases the loopback index publishes unless a test changes it.
RELEASES = ("4.1.13", "4.2", "4.2.30", "9.9a1")

#: An index that never answers (port 9, discard).
UNREACHABLE = "http://127.0.0.1:9/simple"


def server_answers(url):
    try:
        check_reachable(parse_db(url))
    except ForkpatchError:
        return False
    return True


def require_database(vendor):
    """The URL of a database to test on, or a skip (a failure under CI)."""
    url = DATABASES[vendor]
    if vendor == "sqlite" or server_answers(url):
        return url
    message = f"the {vendor} server at {url} does not answer"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: every backend must run)")
    pytest.skip(f"{message}; start it to run these tests")


#: The author of the commits the tests make on top of a pristine tree.
AUTHOR = {
    **PRISTINE_IDENTITY,
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "2026-11-24T12:00:00Z",
}


def run_git(cwd, *args, env=None):
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(tree, message, edits, env=AUTHOR):
    """Commit edits (file name -> function of its old text) to a tree."""
    for name, change in edits.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change(path.read_text() if path.exists() else ""))
    run_git(tree, "add", "-A", env=env)
    run_git(tree, "commit", "-qm", message, env=env)


def snapshot(path):
    """Every file's path and bytes under path (.git included): to prove nothing changed."""
    path = Path(path)
    if not path.exists():
        return None
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def git_state(repo):
    """HEAD, every ref and the status of a repository: to prove it did not change."""
    h = hashlib.sha256()
    for args in (
        ["rev-parse", "HEAD"],
        ["symbolic-ref", "-q", "HEAD"],
        ["for-each-ref"],
        ["status", "--porcelain=v1", "--untracked-files=all"],
    ):
        proc = subprocess.run(["git", *args], cwd=repo, capture_output=True)
        h.update(proc.stdout + proc.stderr)
    return h.hexdigest()


def error_of(err):
    """The single error line of a command's stderr (progress lines come before it)."""
    lines = [line for line in err.splitlines() if line.startswith("forkpatch: error:")]
    assert len(lines) == 1, err
    return lines[0].removeprefix("forkpatch: error: ")


def forkpatch(capsys, *args):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def forkpatch_process(*args, cwd=None, **env):
    """Run the command line as a process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "forkpatch", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


# The loopback index.


class Index:
    """A PEP 691 package index on loopback: projects, their files, and the files."""

    def __init__(self):
        self.projects = {}
        self.blobs = {}
        self.requests = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                index.requests.append(self.path)
                parts = self.path.strip("/").split("/")
                if parts[:1] == ["files"] and self.path[7:] in index.blobs:
                    self._send(index.blobs[self.path[7:]], "application/octet-stream")
                elif parts[:1] == ["simple"] and len(parts) == 2:
                    files = index.projects.get(parts[1])
                    if files is None:
                        return self._send(b"not found", "text/plain", 404)
                    body = json.dumps(
                        {"meta": {"api-version": "1.1"}, "name": parts[1],
                         "files": list(files.values())}
                    ).encode()  # fmt: skip
                    self._send(body, "application/vnd.pypi.simple.v1+json")
                else:
                    self._send(b"not found", "text/plain", 404)

            def _send(self, body, kind, status=200):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/simple"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, project, filename, data, sha256=None, **extra):
        self.blobs[filename] = data
        self.projects.setdefault(project, {})[filename] = {
            "filename": filename,
            "url": f"../../files/{filename}",
            "hashes": {"sha256": sha256 or hashlib.sha256(data).hexdigest()},
            **extra,
        }

    def publish(self, version, filename=None, **extra):
        """Add a fake Django release's sdist."""
        filename = filename or f"django-{version}.tar.gz"
        self.add("django", filename, fakedjango.sdist(version), **extra)
        return filename

    def reset(self):
        self.projects.clear()
        self.blobs.clear()
        self.requests.clear()
        for version in RELEASES:
            self.publish(
                version, f"{'Django' if version < '4.2' else 'django'}-{version}.tar.gz"
            )
        self.add(
            "tblib", "tblib-3.0.0-py3-none-any.whl", fakedjango.wheel("tblib", "3.0.0")
        )


@pytest.fixture(scope="session")
def index_server():
    index = Index()
    yield index
    index.server.shutdown()
    index.server.server_close()


@pytest.fixture
def index(index_server, monkeypatch):
    """The loopback index, with RELEASES published, as FORKPATCH_INDEX_URL."""
    index_server.reset()
    monkeypatch.setenv("FORKPATCH_INDEX_URL", index_server.url)
    return index_server


@pytest.fixture(scope="session")
def session_venvs(tmp_path_factory):
    """Virtual environments shared by the unit tests, kept between runs (beside
    pytest's numbered temporary folders, which are deleted in turn): forkpatch's
    own stamps decide whether they are reused, as for a user's build/venvs."""
    major, minor = sys.version_info[:2]
    path = (
        tmp_path_factory.getbasetemp().parent
        / f"forkpatch-unit-venvs-py{major}.{minor}"
    )
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def unit_environment(request, monkeypatch, tmp_path, session_venvs):
    """Unit tests: their own build folder and cache, no real index, a git identity."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from forkpatch import sdist

    sdist._releases.cache_clear()
    build = tmp_path / "build"
    build.mkdir()
    (build / "venvs").symlink_to(session_venvs)
    monkeypatch.setenv("FORKPATCH_BUILD", str(build))
    monkeypatch.setenv("FORKPATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FORKPATCH_INDEX_URL", UNREACHABLE)
    for name in list(os.environ):
        if name.startswith("PIP_") or name in ("FORKPATCH_PATCHES", "FORKPATCH_PYTHON"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Robin User\n\temail = robin@users.dev\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    for name in ("EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    yield
    sdist._releases.cache_clear()


@pytest.fixture(autouse=True)
def _forkpatch_logs_propagate():
    """caplog sees forkpatch's messages; the CLI's handler prints them too."""
    logging.getLogger("forkpatch").setLevel(logging.INFO)
    yield


@pytest.fixture(scope="session")
def build_tools_venv(session_venvs):
    """The wheel build environment, with a stand-in for python -m build.

    Made as forkpatch makes it, with the stamp of the pinned tools, so forkpatch
    reuses it as it is instead of installing them from the network.
    """
    major, minor = sys.version_info[:2]
    venv = session_venvs / f"wheel-build-py{major}.{minor}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = venv / "lib" / f"python{major}.{minor}" / "site-packages"
    (site / "build").mkdir(parents=True)
    (site / "build" / "__init__.py").write_text("")
    (site / "build" / "__main__.py").write_text(fakedjango.BUILD_MAIN)
    (venv / "forkpatch-requirements.txt").write_text("".join(f"{r}\n" for r in PINNED))
    return venv


@pytest.fixture(scope="session")
def shared_venv(index_server, session_venvs):
    """One real environment (made with pip from the loopback index), for every
    release's tests in the unit tier: 4.2.x-pyX.Y, and main-pyX.Y linked to it."""
    from forkpatch.venv import Venv

    major, minor = sys.version_info[:2]
    path = session_venvs / f"4.2.x-py{major}.{minor}"
    index_server.reset()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIP_CONFIG_FILE", os.devnull)
        for name in list(os.environ):
            if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
                mp.delenv(name)
        Venv(path, sys.executable).ensure(["tblib"], index_server.url)
    main = session_venvs / f"main-py{major}.{minor}"
    if not main.is_symlink():
        main.symlink_to(path)
    return path


# Series made here, from commits on a fake tree.


@pytest.fixture(scope="session")
def _series_store(tmp_path_factory):
    return tmp_path_factory.mktemp("series-store"), set()


@pytest.fixture
def stored(_series_store, index, tmp_path):
    """stored(key, name, make): a copy at tmp_path/name of a patches tree that
    make(root) builds once per session (the fake releases never change)."""
    store, made = _series_store

    def get(key, name, make):
        source = store / key
        if key not in made:
            make(source)
            made.add(key)
        return Path(shutil.copytree(source, tmp_path / name, symlinks=True))

    return get


def write_series_folder(root, name, versions=None, local=None):
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "series").write_text("")
    if versions:
        (folder / "versions").write_text(versions + "\n")
    if local:
        (folder / "local-version").write_text(local + "\n")
    return folder


def make_series(root, name, version, commits, tmp_path, keep=None):
    """Export commits (message, edits) made on a checkout of version to root/name."""
    folder = write_series_folder(root, name)
    tree = checkout(version, series_for(version, root), tmp_path / f"tree-{name}")
    for message, edits in commits:
        commit(tree, message, edits)
    export(tree, folder)
    if keep is not None:
        names = (folder / "series").read_text().split()
        (folder / "series").write_text("".join(f"{names[i]}\n" for i in keep))
    shutil.rmtree(tree)
    return folder
