"""The kit as a package: its wheel and sdist carry the series, and an installed
forkpatch works from any folder, reading the series it ships."""

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from conftest import ROOT
from packaging.version import Version

from forkpatch import sdist
from forkpatch.paths import shipped_patches

pytestmark = pytest.mark.integration


def run(*args, **kwargs):
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, **kwargs
    )
    assert (
        proc.returncode == 0
    ), f"{args}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


#: What the kit's build reads (a copy is built, so the checkout gets no build files).
SOURCES = ["forkpatch", "patches", "setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in",
           "README.md", "CONTRIBUTING.md"]  # fmt: skip


def test_built_kit_installs_and_checks_out_from_anywhere(index_server, tmp_path):
    source = tmp_path / "kit"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source)
    (wheel,) = dist.glob("forkpatch-*.whl")
    (sdist_file,) = dist.glob("forkpatch-*.tar.gz")
    shipped = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "patches").rglob("*")
                     if p.is_file())  # fmt: skip
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert {f"forkpatch/{name}" for name in shipped} <= names
    requires = [
        line
        for line in metadata.decode().splitlines()
        if line.startswith("Requires-Dist")
    ]
    assert not any("django" in line.lower() for line in requires), requires
    with tarfile.open(sdist_file) as tar:
        top = tar.getnames()[0].split("/")[0]
        assert {f"{top}/{name}" for name in shipped} <= set(tar.getnames())

    # The real 4.2.30 sdist (from the real index), served by the loopback index.
    real = sdist.fetch(Version("4.2.30"))
    index = index_server
    index.reset()
    index.add("django", real.name, real.read_bytes())
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "FORKPATCH_PATCHES", "FORKPATCH_BUILD")
    }  # fmt: skip
    env.update(FORKPATCH_INDEX_URL=index.url, FORKPATCH_CACHE=str(tmp_path / "cache"))
    proc = run(venv / "bin" / "forkpatch", "checkout", "4.2.30", "--dest", "X",
               cwd=elsewhere, env=env)  # fmt: skip
    assert proc.stdout.strip() == "X"
    site = run(venv / "bin" / "python", "-c", "import forkpatch; print(forkpatch.__file__)",
               cwd=elsewhere).stdout.strip()  # fmt: skip
    assert proc.stderr.splitlines()[0] == (
        f"forkpatch: series from {os.path.dirname(site)}/patches (shipped with forkpatch)"
    )
    log = run("git", "log", "--format=%s", cwd=elsewhere / "X").stdout.splitlines()
    assert log[-1] == "Django 4.2.30 (pristine sdist)"
    assert len(log) > 1
    assert f"/files/{real.name}" in index.requests


def test_the_kits_checkout_reads_its_own_patches():
    path, how = shipped_patches()
    assert (path, how) == (ROOT / "patches", "the kit's checkout")
