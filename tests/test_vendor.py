"""forkpatch vendor, on copies of a fake Django 4.2.30 tree and a small series made here.

The series (three patches, exported from commits on a checkout of the fake
4.2.30): 0001 edits django/db/models/query.py and docs/, 0002 adds a file under
tests/, 0003 edits django/db/models/__init__.py. A vendored package gets 0001 and
0003 (django/ hunks only); a full checkout gets all three.

"Nothing changed" is proven by a fingerprint: every file's path, mode and bytes
outside .git, plus git's HEAD, refs, status and any am/rebase in progress.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

import fakedjango
import pytest
from conftest import commit, error_of, make_series, run_git
from packaging.version import Version

from forkpatch import cli
from forkpatch.gitutil import PRISTINE_IDENTITY
from forkpatch.vendor import gitapply, trial

P1 = "0001-Fixed-1-Documented-the-iterable-classes.patch"
P2 = "0002-Refs-1-Added-a-test.patch"
P3 = "0003-Refs-1-Marked-the-import.patch"
QUERY = "django/db/models/query.py"
MODELS_INIT = "django/db/models/__init__.py"
KIT_TEST = "tests/prefetch_related/test_kit.py"
IMPORT_LINE = fakedjango.IMPORT_LINE


def make_repo(path):
    """Commit everything in path as a new repository with a local identity."""
    run_git(path, "init", "-q", "-b", "main")
    run_git(path, "config", "user.name", "Pat Project")
    run_git(path, "config", "user.email", "pat@example.com")
    run_git(path, "add", "-A", "-f")
    run_git(path, "commit", "-qm", "Initial commit.", env=PRISTINE_IDENTITY)
    return path


def fingerprint(path):
    """A hash of everything a user could see changed under path."""
    path = Path(path)
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if rel.parts[0] == ".git":
            continue
        h.update(f"{rel}\0{p.lstat().st_mode:o}\0".encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    if (path / ".git").is_dir():
        for args in (
            ["rev-parse", "HEAD"],
            ["for-each-ref"],
            ["status", "--porcelain=v1", "--untracked-files=all", "--ignored"],
            ["stash", "list"],
        ):
            proc = subprocess.run(["git", *args], cwd=path, capture_output=True)
            h.update(proc.stdout + proc.stderr)
        h.update(str(sorted(p.name for p in (path / ".git").glob("rebase-*"))).encode())
    return h.hexdigest()


@pytest.fixture
def made(stored, tmp_path, monkeypatch):
    """The series (exported from a fake 4.2.30 tree) and pristine copies."""
    root = stored("vendor", "patches", lambda root: make_series(
        root,
        "4.2.x",
        Version("4.2.30"),
        [
            (
                "Fixed #1 -- Documented the iterable classes.",
                {
                    QUERY: lambda t: t.replace(
                        "class BaseIterable:",
                        "class BaseIterable:  # Iterates a QuerySet.",
                        1,
                    ),
                    "docs/ref/models/querysets.txt": lambda t: t.replace(
                        "``prefetch_related_objects()``\n",
                        "``prefetch_related_objects()``\n\nA kit note.\n",
                        1,
                    ),
                },
            ),
            ("Refs #1 -- Added a test.", {KIT_TEST: lambda t: "# A test.\n"}),
            (
                "Refs #1 -- Marked the import.",
                {MODELS_INIT: lambda t: t.replace(IMPORT_LINE, IMPORT_LINE + "  # kit", 1)},
            ),
        ],
        tmp_path,
    ))  # fmt: skip
    monkeypatch.setenv("FORKPATCH_PATCHES", str(root))
    pristine = fakedjango.write_tree(tmp_path / "pristine", "4.2.30")
    return {"root": root, "pristine": pristine}


@pytest.fixture
def patches(made):
    return made["root"]


@pytest.fixture
def project(made, tmp_path):
    """A git repository with vendor/django (the package only) at pristine 4.2.30."""
    project = tmp_path / "project"
    shutil.copytree(made["pristine"] / "django", project / "vendor" / "django")
    (project / "manage.py").write_text("print('manage')\n")
    return make_repo(project)


@pytest.fixture
def full(made, tmp_path):
    """A git repository of a whole Django 4.2.30 tree (django/, tests/, docs/)."""
    return make_repo(Path(shutil.copytree(made["pristine"], tmp_path / "full")))


@pytest.fixture
def plain_package(made, tmp_path):
    """vendor/django outside of any git repository."""
    path = tmp_path / "plain" / "vendor"
    shutil.copytree(made["pristine"] / "django", path / "django")
    return path


def forkpatch(capsys, *args):
    code = cli.main(["vendor", *map(str, args)])
    out, err = capsys.readouterr()
    series_line = err.splitlines()[0] if err else ""
    if series_line.startswith("forkpatch: series from "):
        err = err.split("\n", 1)[1]
    return code, out, err


def subjects(repo, count):
    return run_git(repo, "log", f"-{count}", "--format=%an|%s").splitlines()


# Applying.


def test_package_in_git_gets_the_django_hunks_one_commit_each(project, capsys):
    head = run_git(project, "rev-parse", "HEAD").strip()
    code, out, err = forkpatch(capsys, project / "vendor")
    assert code == 0, err
    assert out == (
        f"applied patches/4.2.x (2 of 3 patches) to {project / 'vendor'} with git am "
        f"--3way --directory=vendor --include=vendor/django/*, as 2 new commits in "
        f"{project}.\n"
    )
    assert err.splitlines() == [
        f"forkpatch: {project / 'vendor'}: Django 4.2.30, the django package only",
        "forkpatch: only the hunks under django/ go in; the series' changes to tests/ "
        "and docs/ are left out (no tests/runtests.py here)",
        f"forkpatch: skipping {P2}: it changes nothing under django/",
    ]
    assert run_git(project, "log", "--format=%an|%s", f"{head}..").splitlines() == [
        "Ada Tester|Refs #1 -- Marked the import.",
        "Ada Tester|Fixed #1 -- Documented the iterable classes.",
    ]
    changed = run_git(project, "diff", "--name-only", head, "HEAD").split()
    assert changed == [f"vendor/{MODELS_INIT}", f"vendor/{QUERY}"]
    assert (
        "class BaseIterable:  # Iterates a QuerySet."
        in (project / "vendor" / QUERY).read_text()
    )
    assert run_git(project, "status", "--porcelain") == ""
    assert not (project / "vendor" / "tests").exists()


def test_applying_twice_says_so_and_changes_nothing(project, capsys):
    assert forkpatch(capsys, project / "vendor")[0] == 0
    before = fingerprint(project)
    code, out, _ = forkpatch(capsys, project / "vendor")
    assert code == 0
    assert out == (
        f"patches/4.2.x is already applied to {project / 'vendor'}; nothing to do, "
        "nothing was changed.\n"
    )
    assert fingerprint(project) == before


def test_check_says_what_would_happen_and_changes_nothing(project, capsys):
    before = fingerprint(project)
    code, out, _ = forkpatch(capsys, project / "vendor", "--check")
    assert code == 0
    assert out == (
        f"would apply patches/4.2.x (2 of 3 patches: {P1}, {P3}) to "
        f"{project / 'vendor'} with git am --3way --directory=vendor "
        f"--include=vendor/django/*, as 2 new commits in {project}; nothing was "
        "changed (--check).\n"
    )
    assert fingerprint(project) == before
    forkpatch(capsys, project / "vendor")
    applied = fingerprint(project)
    code, out, _ = forkpatch(capsys, project / "vendor", "--check")
    assert code == 0
    assert out.startswith("patches/4.2.x is already applied to ")
    assert fingerprint(project) == applied


def test_reverse_in_git_adds_revert_commits(project, made, capsys):
    files_before = fingerprint(project / "vendor")
    forkpatch(capsys, project / "vendor")
    code, out, _ = forkpatch(capsys, project / "vendor", "--reverse", "--check")
    assert code == 0
    assert out.startswith(f"would take out patches/4.2.x (2 of 3 patches: {P3}, {P1})")
    code, out, err = forkpatch(capsys, project / "vendor", "--reverse")
    assert code == 0, err
    assert out == (
        f"took out patches/4.2.x (2 of 3 patches) from {project / 'vendor'} with git "
        "apply --reverse --3way --directory=vendor --include=vendor/django/*, as 2 "
        f"new revert commits in {project}.\n"
    )
    assert subjects(project, 4) == [
        'Pat Project|Revert "Fixed #1 -- Documented the iterable classes."',
        'Pat Project|Revert "Refs #1 -- Marked the import."',
        "Ada Tester|Refs #1 -- Marked the import.",
        "Ada Tester|Fixed #1 -- Documented the iterable classes.",
    ]
    body = run_git(project, "log", "-1", "--format=%b").strip()
    assert (
        body
        == f"Took out {P1} of the patches/4.2.x series (forkpatch vendor --reverse)."
    )
    assert fingerprint(project / "vendor") == files_before
    assert run_git(project, "status", "--porcelain") == ""
    # Taking it out again: nothing to do.
    before = fingerprint(project)
    code, out, _ = forkpatch(capsys, project / "vendor", "--reverse")
    assert code == 0
    assert out == (
        f"patches/4.2.x is not applied to {project / 'vendor'}; nothing to take out, "
        "nothing was changed.\n"
    )
    assert fingerprint(project) == before
    # And back in.
    assert forkpatch(capsys, project / "vendor")[0] == 0
    assert "# Iterates a QuerySet." in (project / "vendor" / QUERY).read_text()


def test_full_checkout_in_git_gets_the_whole_series(full, capsys):
    code, out, err = forkpatch(capsys, full)
    assert code == 0, err
    assert out == (
        f"applied patches/4.2.x (3 patches) to {full} with git am --3way, "
        f"as 3 new commits in {full}.\n"
    )
    assert err.splitlines() == [
        f"forkpatch: {full}: Django 4.2.30, a full Django checkout"
    ]
    assert [s.split("|")[1] for s in subjects(full, 3)] == [
        "Refs #1 -- Marked the import.",
        "Refs #1 -- Added a test.",
        "Fixed #1 -- Documented the iterable classes.",
    ]
    assert (full / KIT_TEST).read_text() == "# A test.\n"
    assert "A kit note." in (full / "docs/ref/models/querysets.txt").read_text()


def test_full_checkout_in_a_subfolder_of_a_bigger_repository(
    made, patches, tmp_path, capsys
):
    repo = tmp_path / "bigger"
    shutil.copytree(made["pristine"], repo / "third party" / "django-4.2")
    (repo / "README").write_text("A project.\n")
    make_repo(repo)
    path = repo / "third party" / "django-4.2"
    code, out, err = forkpatch(capsys, path)
    assert code == 0, err
    assert (
        "with git am --3way --directory=third party/django-4.2, as 3 new commits" in out
    )
    assert (path / KIT_TEST).is_file()
    assert not (repo / "tests").exists()
    assert run_git(repo, "status", "--porcelain") == ""
    code, out, _ = forkpatch(capsys, path, "--reverse")
    assert code == 0
    assert not (path / KIT_TEST).exists()


def test_package_outside_git_is_changed_in_place(plain_package, made, capsys):
    before = fingerprint(plain_package)
    code, out, err = forkpatch(capsys, plain_package)
    assert code == 0, err
    assert out == (
        f"applied patches/4.2.x (2 of 3 patches) to {plain_package} in place (not in git: "
        "no commits).\n"
    )
    assert IMPORT_LINE + "  # kit" in (plain_package / MODELS_INIT).read_text()
    assert sorted(p.name for p in plain_package.iterdir()) == ["django"]
    applied = fingerprint(plain_package)
    code, out, _ = forkpatch(capsys, plain_package)
    assert out.startswith("patches/4.2.x is already applied to ")
    assert fingerprint(plain_package) == applied
    code, out, _ = forkpatch(capsys, plain_package, "--reverse")
    assert code == 0
    assert out.startswith("took out patches/4.2.x (2 of 3 patches) from ")
    assert fingerprint(plain_package) == before
    code, out, _ = forkpatch(capsys, plain_package, "--reverse")
    assert out.startswith("patches/4.2.x is not applied to ")
    assert fingerprint(plain_package) == before


def test_full_checkout_outside_git(made, patches, tmp_path, capsys):
    path = Path(shutil.copytree(made["pristine"], tmp_path / "django-4.2.30"))
    before = fingerprint(path)
    code, out, _ = forkpatch(capsys, path, "--check")
    assert out.startswith(f"would apply patches/4.2.x (3 patches: {P1}, {P2}, {P3}) ")
    assert fingerprint(path) == before
    code, out, _ = forkpatch(capsys, path)
    assert code == 0
    assert (path / KIT_TEST).read_text() == "# A test.\n"
    forkpatch(capsys, path, "--reverse")
    assert fingerprint(path) == before


def test_a_vendor_folder_git_ignores_is_changed_in_place(
    made, patches, tmp_path, capsys
):
    repo = tmp_path / "repo"
    shutil.copytree(made["pristine"] / "django", repo / "vendor" / "django")
    (repo / ".gitignore").write_text("/vendor/\n")
    run_git(repo, "init", "-q")
    run_git(repo, "add", ".gitignore")
    run_git(repo, "commit", "-qm", "Ignore vendor/.", env=PRISTINE_IDENTITY)
    head = run_git(repo, "rev-parse", "HEAD")
    code, out, err = forkpatch(capsys, repo / "vendor")
    assert code == 0
    assert "is not tracked by the git repository at" in err
    assert "(not in git: no commits)" in out
    assert run_git(repo, "rev-parse", "HEAD") == head
    assert "# Iterates a QuerySet." in (repo / "vendor" / QUERY).read_text()


# Errors: one line, naming the patch and the file, and nothing changed.


def replace_line(old, new):
    return lambda text: text.replace(old, new, 1)


def test_conflict_in_the_first_patch(project, capsys):
    commit(
        project,
        "Local change.",
        {
            f"vendor/{QUERY}": replace_line(
                "class BaseIterable:", "class BaseIterable:  # Ours."
            )
        },
    )
    before = fingerprint(project)
    for args in ([], ["--check"]):
        code, _, err = forkpatch(capsys, project / "vendor", *args)
        assert code == 2
        assert error_of(err) == (
            f"{P1} does not apply to {project / 'vendor'} (Django 4.2.30): "
            f"{QUERY}: conflicting changes; nothing was changed."
        )
        assert fingerprint(project) == before


def test_conflict_in_the_last_patch_leaves_the_first_ones_out(full, capsys):
    commit(
        full,
        "Local change.",
        {MODELS_INIT: replace_line(IMPORT_LINE, IMPORT_LINE + "  # ours")},
    )
    before = fingerprint(full)
    code, _, err = forkpatch(capsys, full)
    assert code == 2
    assert error_of(err) == (
        f"{P3} does not apply to {full} (Django 4.2.30): {MODELS_INIT}: conflicting "
        "changes; nothing was changed."
    )
    assert fingerprint(full) == before


def test_conflict_outside_git(plain_package, capsys):
    init = plain_package / MODELS_INIT
    init.write_text(init.read_text().replace(IMPORT_LINE, IMPORT_LINE + "  # ours"))
    before = fingerprint(plain_package)
    code, _, err = forkpatch(capsys, plain_package)
    assert code == 2
    assert error_of(err) == (
        f"{P3} does not apply to {plain_package} (Django 4.2.30): {MODELS_INIT}: its "
        "context does not match; nothing was changed."
    )
    assert fingerprint(plain_package) == before


def test_conflict_when_taking_the_series_out(project, capsys):
    forkpatch(capsys, project / "vendor")
    commit(
        project,
        "Local change.",
        {
            f"vendor/{QUERY}": replace_line(
                "class BaseIterable:  # Iterates a QuerySet.",
                "class BaseIterable:  # Ours.",
            )
        },
    )
    before = fingerprint(project)
    code, _, err = forkpatch(capsys, project / "vendor", "--reverse")
    assert code == 2
    assert error_of(err) == (
        f"{P1} cannot be taken out of {project / 'vendor'} (Django 4.2.30): {QUERY}: "
        "conflicting changes; nothing was changed."
    )
    assert fingerprint(project) == before


def test_a_failure_inside_git_am_is_rolled_back(project, monkeypatch, capsys):
    """Should git am fail after the dry run passed, the repository is put back."""
    commit(
        project,
        "Local change.",
        {f"vendor/{MODELS_INIT}": replace_line(IMPORT_LINE, IMPORT_LINE + "  # ours")},
    )
    before = fingerprint(project)
    monkeypatch.setattr(
        trial, "simulate_in_index", lambda target, patches, reverse: (None, patches)
    )
    code, _, err = forkpatch(capsys, project / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"{P3} does not apply to {project / 'vendor'} (Django 4.2.30): {MODELS_INIT}: "
        "conflicting changes; nothing was changed."
    )
    assert fingerprint(project) == before


def test_a_failure_while_reverting_is_rolled_back(project, monkeypatch, capsys):
    forkpatch(capsys, project / "vendor")
    commit(
        project,
        "Local change.",
        {f"vendor/{QUERY}": replace_line("# Iterates a QuerySet.", "# Ours.")},
    )
    before = fingerprint(project)
    monkeypatch.setattr(
        trial,
        "simulate_in_index",
        lambda target, patches, reverse: (None, patches[::-1]),
    )
    code, _, err = forkpatch(capsys, project / "vendor", "--reverse")
    assert code == 2
    assert error_of(err).startswith(f"{P1} cannot be taken out of {project / 'vendor'}")
    assert fingerprint(project) == before


def test_a_failed_revert_commit_is_rolled_back(project, monkeypatch, capsys):
    forkpatch(capsys, project / "vendor")
    before = fingerprint(project)
    real_git = gitapply.git

    def git(*args, **kwargs):
        if args[0] == "commit":
            return subprocess.CompletedProcess(args, 1, "", "fatal: no space left\n")
        return real_git(*args, **kwargs)

    monkeypatch.setattr(gitapply, "git", git)
    code, _, err = forkpatch(capsys, project / "vendor", "--reverse")
    assert code == 2
    assert error_of(err) == (
        f"git commit failed in {project} (fatal: no space left); nothing was changed."
    )
    assert fingerprint(project) == before


def test_a_repository_without_commits(made, tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(made["pristine"] / "django", repo / "vendor" / "django")
    run_git(repo, "init", "-q")
    run_git(repo, "add", "-A")
    before = fingerprint(repo)
    code, _, err = forkpatch(capsys, repo / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"the git repository at {repo} has no commits yet; commit {repo / 'vendor'} "
        "first."
    )
    assert fingerprint(repo) == before


def test_a_patch_that_cannot_be_read(plain_package, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "unreadable" / "4.2.x"
    folder.mkdir(parents=True)
    (folder / "0001-x.patch").write_text(
        'Subject: [PATCH] X\n\n---\ndiff --git "a/dj ango" "b/dj ango"\n'
    )
    (folder / "series").write_text("0001-x.patch\n")
    monkeypatch.setenv("FORKPATCH_PATCHES", str(folder.parent))
    before = fingerprint(plain_package)
    code, _, err = forkpatch(capsys, plain_package)
    assert code == 2
    assert error_of(err) == (
        '0001-x.patch: cannot read the diff line \'diff --git "a/dj ango" "b/dj ango"\'.'
    )
    assert fingerprint(plain_package) == before


def test_uncommitted_changes_under_path(project, capsys):
    query = project / "vendor" / QUERY
    query.write_text(query.read_text() + "# Work in progress.\n")
    before = fingerprint(project)
    code, _, err = forkpatch(capsys, project / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"{project / 'vendor'} has uncommitted changes (vendor/{QUERY}); commit or "
        "stash them first; nothing was changed."
    )
    assert fingerprint(project) == before


def test_staged_changes_elsewhere_in_the_repository(project, capsys):
    (project / "manage.py").write_text("print('changed')\n")
    run_git(project, "add", "manage.py")
    before = fingerprint(project)
    code, _, err = forkpatch(capsys, project / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"the index of {project} has staged changes (manage.py); commit or unstage "
        "them first; nothing was changed."
    )
    assert fingerprint(project) == before


def test_an_untracked_file_in_the_way(full, capsys):
    (full / KIT_TEST).write_text("# Mine.\n")
    before = fingerprint(full)
    code, _, err = forkpatch(capsys, full)
    assert code == 2
    assert error_of(err) == (
        f"{P2} creates {KIT_TEST}, which already exists in {full} (untracked); move "
        "it away first; nothing was changed."
    )
    assert fingerprint(full) == before


def test_an_am_in_progress(project, capsys):
    (project / ".git" / "rebase-apply").mkdir()
    before = fingerprint(project)
    code, _, err = forkpatch(capsys, project / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"a git am or rebase is in progress in {project}; finish it (or --abort it) "
        "first; nothing was changed."
    )
    assert fingerprint(project) == before


def test_git_does_not_know_the_committer(project, monkeypatch, tmp_path, capsys):
    run_git(project, "config", "--unset", "user.name")
    run_git(project, "config", "--unset", "user.email")
    run_git(project, "config", "user.useConfigOnly", "true")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))
    for name in ("EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    before = fingerprint(project)
    code, _, err = forkpatch(capsys, project / "vendor")
    assert code == 2
    assert error_of(err) == (
        f"git does not know who you are in {project}: set user.name and user.email "
        "(git config user.email you@example.com); nothing was changed."
    )
    assert fingerprint(project) == before


def _no_such_folder(path):
    return path / "missing", f"{path / 'missing'} does not exist."


def _a_file(path):
    (path / "file.txt").write_text("x\n")
    return (
        path / "file.txt",
        f"{path / 'file.txt'} is not a folder; give the folder that holds the django package.",
    )


def _no_django(path):
    (path / "vendor").mkdir()
    (path / "vendor" / "six.py").write_text("x\n")
    return path / "vendor", (
        f"{path / 'vendor'} does not hold a django package (no django/__init__.py); "
        "give the folder that contains django/."
    )


def _the_package_itself(path):
    (path / "vendor" / "django").mkdir(parents=True)
    (path / "vendor" / "django" / "__init__.py").write_text(
        "VERSION = (4, 2, 30, 'final', 0)\n"
    )
    return path / "vendor" / "django", (
        f"{path / 'vendor' / 'django'} is the django package itself; give the folder "
        f"that holds it: {path / 'vendor'}"
    )


def _unsupported_version(path):
    (path / "vendor" / "django").mkdir(parents=True)
    (path / "vendor" / "django" / "__init__.py").write_text(
        "VERSION = (3, 2, 25, 'final', 0)\n"
    )
    return path / "vendor", "no patch series covers Django 3.2.25 (series: 4.2.x)."


def _a_development_version(path):
    (path / "vendor" / "django").mkdir(parents=True)
    (path / "vendor" / "django" / "__init__.py").write_text(
        "VERSION = (5, 0, 0, 'alpha', 0)\n"
    )
    return path / "vendor", "no patch series covers Django 5.0.dev0 (series: 4.2.x)."


def _no_version(path):
    (path / "vendor" / "django").mkdir(parents=True)
    (path / "vendor" / "django" / "__init__.py").write_text("VERSION = get_it()\n")
    return path / "vendor", (
        f"{path / 'vendor'}/django/__init__.py has no readable VERSION tuple; is it Django?"
    )


@pytest.mark.parametrize(
    "make",
    [
        _no_such_folder,
        _a_file,
        _no_django,
        _the_package_itself,
        _unsupported_version,
        _a_development_version,
        _no_version,
    ],
)
def test_unrecognised_folders(make, patches, tmp_path, capsys):
    path, message = make(tmp_path)
    before = fingerprint(tmp_path)
    code, out, err = forkpatch(capsys, path)
    assert (code, out) == (2, "")
    assert error_of(err) == message
    assert fingerprint(tmp_path) == before


def test_help_explains_the_package_only_case(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["vendor", "--help"])
    assert exit.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "the django package only: only the hunks under django/" in text
    assert "git am --3way --directory=<PATH from the repository top>" in text
    assert "--reverse takes the series out again: in git as new commits" in text


def test_a_pre_release_gets_its_lines_series(made, tmp_path, capsys):
    path = Path(
        shutil.copytree(made["pristine"] / "django", tmp_path / "rc" / "django")
    )
    init = path / "__init__.py"
    init.write_text(
        init.read_text().replace("(4, 2, 30, 'final', 0)", "(4, 2, 0, 'rc', 1)")
    )
    code, out, err = forkpatch(capsys, path.parent)
    assert code == 0, err
    assert f"{path.parent}: Django 4.2rc1, the django package only" in err
    assert out.startswith("applied patches/4.2.x (2 of 3 patches) to ")
