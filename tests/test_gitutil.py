import pytest

from forkpatch.errors import ForkpatchError
from forkpatch.gitutil import failed_patch_index, git, why_it_failed


@pytest.mark.parametrize(
    "output, found",
    [
        (
            "CONFLICT (content): Merge conflict in django/a.py\n",
            ("django/a.py", "conflicting changes"),
        ),
        (
            "Applied patch to 'django/a.py' with conflicts.\n",
            ("django/a.py", "conflicting changes"),
        ),
        (
            "error: patch failed: django/a.py:12\n",
            ("django/a.py", "its context does not match"),
        ),
        (
            "error: tests/x.py: already exists in working directory\n",
            ("tests/x.py", "already exists in working directory"),
        ),
        ("something else\n", ("?", "something else")),
    ],
)
def test_why_it_failed(output, found):
    assert why_it_failed(output) == found


def test_failed_patch_index():
    assert failed_patch_index("Applying: x\nPatch failed at 0003 Third\n") == 2
    assert failed_patch_index("") == 0


def test_git_failure_is_one_line(tmp_path):
    with pytest.raises(ForkpatchError) as info:
        git("rev-parse", "HEAD", cwd=tmp_path)
    assert str(info.value).startswith(f"git rev-parse in {tmp_path} failed: fatal: ")
    assert "\n" not in str(info.value)
