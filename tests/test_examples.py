"""The example async application's own suite, run the three ways users get the feature.

- wheel: `forkpatch wheel 4.2.30` installed with pip in a fresh virtual environment;
- vendored: a project that keeps Django 4.2.30's package in vendor/, patched by
  `forkpatch vendor vendor`, on PYTHONPATH;
- upstream: the newest Django 5.2.x from the package index, where the feature is stock.

Each on SQLite and PostgreSQL. Stock 4.2.30 must fail the same suite.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
from conftest import ROOT, require_database
from packaging.version import Version

from forkpatch import sdist
from forkpatch.paths import build_dir

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "chatroom"
VERSION = "4.2.30"


def run(*args, **kwargs):
    proc = subprocess.run(
        [str(a) for a in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )
    assert proc.returncode == 0, f"{' '.join(map(str, args))}:\n{proc.stdout[-3000:]}"
    return proc.stdout


def venv(name, *requirements):
    """A virtual environment with the example's requirements, kept between runs."""
    key = hashlib.sha256(
        (EXAMPLE / "requirements.txt").read_bytes() + repr(requirements).encode()
    ).hexdigest()[:10]
    path = build_dir() / "venvs" / f"example-{name}-{key}"
    python = path / "bin" / "python"
    if not (path / "ready").exists():
        shutil.rmtree(path, ignore_errors=True)
        run(sys.executable, "-m", "venv", path)
        run(python, "-m", "pip", "install", "-q", *requirements,
            "-r", EXAMPLE / "requirements.txt")  # fmt: skip
        (path / "ready").write_text("")
    return python


@pytest.fixture(scope="module")
def wheel_route(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    wheel = run(sys.executable, "-m", "forkpatch", "wheel", VERSION, "-o", out)
    wheel = wheel.strip().splitlines()[-1]
    python = venv("wheel", f"django=={VERSION}")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel)
    return python, {}


@pytest.fixture(scope="module")
def vendored_route(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    with tarfile.open(sdist.fetch(Version(VERSION))) as tar:
        top = f"django-{VERSION}/django/"
        members = [m for m in tar.getmembers() if m.name.startswith(top)]
        for member in members:
            member.name = "vendor/" + member.name[len(f"django-{VERSION}/") :]
        tar.extractall(project, members=members)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Vendored Django"]):
        run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args,
            cwd=project)  # fmt: skip
    run(sys.executable, "-m", "forkpatch", "vendor", project / "vendor")
    # Stock 4.2.30 satisfies the requirements' dependency on Django; the vendored,
    # patched copy comes first on PYTHONPATH.
    return venv("vendored", f"django=={VERSION}"), {
        "PYTHONPATH": str(project / "vendor")
    }


@pytest.fixture(scope="module")
def upstream_route():
    return venv("upstream", "django>=5.2,<5.3"), {}


def example_suite(python, env, database, name):
    url = require_database(database)
    env = {**os.environ, **env}
    if database == "postgresql":
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/chatroom_{name}"
    else:
        env.pop("DATABASE_URL", None)
    where = subprocess.run(
        [str(python), "-c", "import django; print(django.__file__, django.get_version())"],
        env=env, capture_output=True, text=True, cwd=EXAMPLE,
    ).stdout  # fmt: skip
    proc = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        env=env, cwd=EXAMPLE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    return where, proc


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_wheel(wheel_route, database):
    where, proc = example_suite(*wheel_route, database, "wheel")
    label = (ROOT / "patches" / "4.2.x" / "local-version").read_text().strip()
    assert where.split()[1] == f"{VERSION}+{label}"
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "7 passed" in proc.stdout


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_vendored(vendored_route, database):
    python, env = vendored_route
    where, proc = example_suite(python, env, database, "vendored")
    assert where.startswith(env["PYTHONPATH"]), where
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "7 passed" in proc.stdout


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_upstream(upstream_route, database):
    where, proc = example_suite(*upstream_route, database, "upstream")
    assert where.split()[1].startswith("5.2.")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "7 passed" in proc.stdout


def test_stock_django_fails_the_suite():
    """The suite can fail: on stock 4.2.30, aiterator() refuses prefetch_related()."""
    python = venv("stock", f"django=={VERSION}")
    where, proc = example_suite(python, {}, "sqlite", "stock")
    assert where.split()[1] == VERSION
    assert proc.returncode == 1
    assert "NotSupportedError" in proc.stdout
    assert "6 failed, 1 passed" in proc.stdout
