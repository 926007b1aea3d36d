from conftest import ROOT

from forkpatch import paths


def test_patches_dir_order(tmp_path, monkeypatch):
    assert paths.patches_dir(tmp_path) == (tmp_path, "--patches")
    monkeypatch.setenv("FORKPATCH_PATCHES", str(tmp_path / "env"))
    assert paths.patches_dir() == (tmp_path / "env", "FORKPATCH_PATCHES")
    monkeypatch.delenv("FORKPATCH_PATCHES")
    assert paths.patches_dir() == (ROOT / "patches", "the kit's checkout")


def test_build_and_cache_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("FORKPATCH_BUILD", str(tmp_path / "b"))
    assert paths.build_dir() == tmp_path / "b"
    monkeypatch.delenv("FORKPATCH_BUILD")
    assert paths.build_dir() == ROOT / "build"  # Run from the kit's checkout.
    monkeypatch.setattr(paths, "CHECKOUT", None)
    monkeypatch.chdir(tmp_path)
    assert paths.build_dir() == tmp_path / "build"  # Installed: the current folder.
    monkeypatch.delenv("FORKPATCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "forkpatch"
