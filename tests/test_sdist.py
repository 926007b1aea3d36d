import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from packaging.version import Version

from forkpatch import sdist
from forkpatch.errors import ForkpatchError

UNREACHABLE = "http://127.0.0.1:9/simple"


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    """No release list carried over between tests; a cache of the test's own."""
    monkeypatch.setattr(sdist, "_releases", None)
    monkeypatch.setenv("FORKPATCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def fake_index(monkeypatch):
    """Serve a PEP 691 project page on loopback; return the list of files to fill."""
    files = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
            self.send_response(200 if self.path == "/simple/django/" else 404)
            self.send_header("Content-Type", sdist.ACCEPT)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "FORKPATCH_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple"
    )
    yield files
    server.shutdown()


def entry(filename, sha256="0" * 64, **extra):
    return {
        "filename": filename,
        "url": filename,
        "hashes": {"sha256": sha256},
        **extra,
    }


def test_releases_keeps_final_sdists(fake_index):
    fake_index += [
        entry("Django-4.1.tar.gz"),
        entry("django-4.2.30.tar.gz", requires_python=">=3.8"),
        entry("django-4.2.30-py3-none-any.whl"),
        entry("django-4.2.29.tar.gz", yanked="broken"),
        entry("django-5.0a1.tar.gz"),
        entry("django-6.1.3.tar.gz", **{"requires-python": ">=3.12"}),
    ]
    found = sdist.releases()
    assert sorted(found) == [Version("4.1"), Version("4.2.30"), Version("6.1.3")]
    assert found[Version("6.1.3")].requires_python == ">=3.12"
    assert sdist.newest((4, 2)) == Version("4.2.30")


def test_unknown_version_names_the_newest(fake_index):
    fake_index += [entry("django-4.2.30.tar.gz"), entry("django-4.2.3.tar.gz")]
    with pytest.raises(ForkpatchError) as info:
        sdist.release(Version("4.2.99"))
    assert str(info.value) == (
        "Django 4.2.99 is not on the package index (newest 4.2.x: 4.2.30)."
    )
    with pytest.raises(
        ForkpatchError, match=r"^Django 3\.0 is not on the package index\.$"
    ):
        sdist.release(Version("3.0"))
    with pytest.raises(
        ForkpatchError, match="the package index has no Django 9.9 release"
    ):
        sdist.newest((9, 9))


def test_unreachable_index(monkeypatch):
    monkeypatch.setenv("FORKPATCH_INDEX_URL", UNREACHABLE)
    with pytest.raises(ForkpatchError, match="cannot read Django's release list"):
        sdist.releases()


def test_checksum_mismatch_is_refused_and_not_cached(fake_index, tmp_path):
    fake_index.append(entry("Django-4.1.13.tar.gz", sha256="ab" * 32))
    with pytest.raises(ForkpatchError) as info:
        sdist.fetch(Version("4.1.13"), log=lambda m: None)
    assert "but the index publishes abab" in str(info.value)
    assert str(info.value).endswith("refusing to use it.")
    assert not list((tmp_path / "cache" / "sdists").glob("*.tar.gz"))


def test_fetch_checks_and_caches(monkeypatch, tmp_path):
    """A real download, checked; then served from the cache with no index at all."""
    messages = []
    path = sdist.fetch(Version("4.1.13"), log=messages.append)
    assert messages == ["downloading Django-4.1.13.tar.gz"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == sdist.release(Version("4.1.13")).sha256
    assert path.with_name(path.name + ".sha256").read_text().strip() == digest

    monkeypatch.setattr(sdist, "_releases", None)
    monkeypatch.setenv("FORKPATCH_INDEX_URL", UNREACHABLE)
    assert sdist.fetch(Version("4.1.13"), log=messages.append) == path
    assert len(messages) == 1

    # A cached file that no longer matches its hash is not trusted.
    with open(path, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ForkpatchError, match="cannot read Django's release list"):
        sdist.fetch(Version("4.1.13"), log=messages.append)
