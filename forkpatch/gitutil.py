"""Running git with settings that make its output the same on every machine."""

import re

from forkpatch import proc

#: Who makes the pristine commit of a tree, and when: fixed, so trees are reproducible.
PRISTINE_IDENTITY = {
    "GIT_AUTHOR_NAME": "forkpatch",
    "GIT_AUTHOR_EMAIL": "forkpatch@localhost",
    "GIT_COMMITTER_NAME": "forkpatch",
    "GIT_COMMITTER_EMAIL": "forkpatch@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
}

#: Who applies the patches of a checkout; each commit keeps its patch's author and date.
COMMITTER = {
    key: value for key, value in PRISTINE_IDENTITY.items() if "COMMITTER" in key
}

#: Options that keep a user's git configuration out of what we write.
CONFIG = [
    "-c", "core.abbrev=12",
    "-c", "core.autocrlf=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.renames=false",
    "-c", "format.signature=",
    "-c", "commit.gpgsign=false",
    "-c", "am.threeWay=false",
    "-c", "init.defaultBranch=main",
]  # fmt: skip

#: What git apply / git am say about the file that stopped them, most telling first.
FAILURES = [
    (
        re.compile(
            r"^(?:Applied patch to '(?P<file>[^']+)' with conflicts\."
            r"|CONFLICT \([^)]*\): Merge conflict in (?P<merge>.+))$",
            re.MULTILINE,
        ),
        "conflicting changes",
    ),
    (
        re.compile(r"^error: patch failed: (?P<file>.+?):\d+$", re.MULTILINE),
        "its context does not match",
    ),
    (re.compile(r"^error: (?P<file>[^:\n]+): (?P<why>.+)$", re.MULTILINE), None),
]

#: "Patch failed at 0002 ..." : which patch of a git am run stopped it.
FAILED_AT_RE = re.compile(r"^Patch failed at (\d+)", re.MULTILINE)


def git(*args, cwd, env=None, check=True):
    """Run git and return the completed process; a failure is a one-line ForkpatchError."""
    return proc.run(
        ["git", *CONFIG, *args],
        what=f"git {args[0]} in {cwd}",
        cwd=cwd,
        env={"GIT_CONFIG_NOSYSTEM": "1", **(env or {})},
        check=check,
    )


def why_it_failed(output):
    """(file, reason) from what git apply or git am printed when a patch did not go in."""
    for regex, why in FAILURES:
        match = regex.search(output)
        if match:
            where = match["file"] or match.groupdict().get("merge")
            return where, why or match["why"].rstrip(".")
    lines = [line for line in output.splitlines() if line.strip()]
    return "?", lines[-1] if lines else "git apply failed"


def failed_patch_index(output):
    """The 0-based index of the patch git am stopped at (0 if it does not say)."""
    match = FAILED_AT_RE.search(output)
    return int(match[1]) - 1 if match else 0
