"""Release lists, downloads and the cache, against the loopback index."""

import hashlib
import logging

import pytest
from conftest import UNREACHABLE
from packaging.version import Version

from forkpatch import sdist
from forkpatch.errors import ForkpatchError
from forkpatch.series import series_for
from forkpatch.tree import checkout


def test_releases_keep_sdists_and_pre_releases(index):
    index.add("django", "django-4.2.30-py3-none-any.whl", b"wheel")
    index.add("django", "django-4.2.29.tar.gz", b"x", yanked="broken")
    index.add("django", "django-5.0.dev20230101.tar.gz", b"x")
    found = sdist.releases()
    assert sorted(found) == [Version(v) for v in ("4.1.13", "4.2", "4.2.30", "9.9a1")]
    assert (
        found[Version("4.2.30")].url == f"{index.url[:-7]}/files/django-4.2.30.tar.gz"
    )
    assert sdist.newest((4, 2)) == Version("4.2.30")
    assert sdist.newest((9, 9)) == Version("9.9a1")  # No final release yet.


def test_unknown_version_names_the_newest(index):
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
        ForkpatchError, match="the package index has no Django 8.8 release"
    ):
        sdist.newest((8, 8))


def test_unreachable_index():
    with pytest.raises(ForkpatchError) as info:
        sdist.releases()
    assert str(info.value).startswith(
        f"cannot read Django's release list from {UNREACHABLE} ("
    )


def test_the_index_is_the_one_configured(index, monkeypatch):
    monkeypatch.delenv("FORKPATCH_INDEX_URL")
    monkeypatch.setenv("PIP_INDEX_URL", index.url + "/")
    assert sdist.index_url() == index.url
    monkeypatch.delenv("PIP_INDEX_URL")
    assert sdist.index_url() == "https://pypi.org/simple"


def test_fetch_downloads_from_the_index_checks_and_caches(index, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    path = sdist.fetch(Version("4.2.30"))
    assert path == tmp_path / "cache" / "sdists" / "django-4.2.30.tar.gz"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        sdist.release(Version("4.2.30")).sha256
    )
    assert "/files/django-4.2.30.tar.gz" in index.requests
    assert caplog.messages[0].startswith(
        "downloading django-4.2.30.tar.gz from http://"
    )
    assert not list(path.parent.glob(".*")), "a partial download was left behind"
    index.requests.clear()
    assert sdist.fetch(Version("4.2.30")) == path
    assert index.requests == []  # The release list is remembered; the file cached.


def test_a_download_that_does_not_match_is_refused(index, tmp_path):
    index.add("django", "django-4.2.30.tar.gz", b"not the sdist", sha256="ab" * 32)
    with pytest.raises(ForkpatchError) as info:
        sdist.fetch(Version("4.2.30"))
    assert str(info.value).startswith("django-4.2.30.tar.gz has sha256 ")
    assert str(info.value).endswith(
        "but the index publishes " + "ab" * 32 + "; refusing to use it."
    )
    assert not list((tmp_path / "cache" / "sdists").iterdir())


def test_a_bad_cached_copy_is_reported_and_downloaded_again(index, tmp_path, caplog):
    """Only the index's sha256 is trusted, not a sidecar file rewritten to match."""
    path = sdist.fetch(Version("4.2.30"))
    good = path.read_bytes()
    path.write_bytes(b"corrupted")
    sidecar = path.with_name(path.name + ".sha256")
    sidecar.write_text(hashlib.sha256(b"corrupted").hexdigest() + "\n")
    with caplog.at_level(logging.INFO):
        assert sdist.fetch(Version("4.2.30")) == path
    assert (
        "cached django-4.2.30.tar.gz did not match the index's sha256: downloading it "
        "again"
    ) in caplog.messages
    assert path.read_bytes() == good
    assert not sidecar.exists()


def test_a_corrupt_sdist_is_one_line(index, tmp_path):
    """An index that publishes a broken file's real hash: still one line."""
    index.add("django", "django-4.2.30.tar.gz", b"not a tar file")
    root = tmp_path / "patches"
    (root / "4.2.x").mkdir(parents=True)
    (root / "4.2.x" / "series").write_text("")
    with pytest.raises(ForkpatchError, match=r"is not a readable sdist \("):
        checkout(Version("4.2.30"), series_for(Version("4.2.30"), root), tmp_path / "t")
    assert not (tmp_path / "t").exists()
