"""A small synthetic Django: the few files the kit's code reads, an sdist of them,
a runtests.py that behaves like the real one, and an in-tree build backend.

Used by the unit tier with a loopback package index (``conftest.Index``), so that
checkout, export, vendor, wheel and test run without the network or real Django.
"""

import io
import sys
import tarfile
import textwrap

from packaging.version import Version

IMPORT_LINE = (
    "from django.db.models.query import Prefetch, QuerySet, prefetch_related_objects"
)
LEVELS = {"a": "alpha", "b": "beta", "rc": "rc"}


def version_tuple(text, dev=False):
    """Django's VERSION tuple: 4.2.30 -> (4, 2, 30, "final", 0); dev=True: main."""
    version = Version(text)
    major, minor, micro = (version.release + (0, 0))[:3]
    if dev:
        return (major, minor, micro, "alpha", 0)
    if version.pre:
        return (major, minor, micro, LEVELS[version.pre[0]], version.pre[1])
    return (major, minor, micro, "final", 0)


RUNTESTS = '''\
#!/usr/bin/env python
"""A stand-in for Django's tests/runtests.py: the same arguments and output."""
import argparse
import importlib
import os
import re
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("labels", nargs="*")
parser.add_argument("--noinput", action="store_false", dest="interactive")
parser.add_argument("--settings")
parser.add_argument("--parallel", nargs="?", default=0)
parser.add_argument("-v", "--verbosity", type=int, default=1)
parser.add_argument("-k", action="append")
args = parser.parse_args()
settings = importlib.import_module(args.settings or "test_sqlite")
databases = settings.DATABASES
here = os.path.dirname(os.path.abspath(__file__))
labels = args.labels or sorted(
    d for d in os.listdir(here) if os.path.isdir(os.path.join(here, d))
)
# Tests fail by name (test_fails*), by id in FAKE_RUNTESTS_FAIL (comma-separated)
# or tests/fake_failures.txt (one a line), and error by id in FAKE_RUNTESTS_ERROR.
fail_ids = set(filter(None, os.environ.get("FAKE_RUNTESTS_FAIL", "").split(",")))
error_ids = set(filter(None, os.environ.get("FAKE_RUNTESTS_ERROR", "").split(",")))
# FAKE_RUNTESTS_FLAKY: ids that fail only in a run without labels (a test that
# fails under the load of the whole suite and passes alone).
if not args.labels:
    fail_ids |= set(filter(None, os.environ.get("FAKE_RUNTESTS_FLAKY", "").split(",")))
marker = os.path.join(here, "fake_failures.txt")
if os.path.isfile(marker):
    with open(marker) as f:
        fail_ids |= set(f.read().split())
ran = 0
problems = []
start = time.monotonic()


def report(test, test_id, outcome):
    if args.verbosity >= 2:
        print(f"{test} ({test_id}) ... {outcome}", file=sys.stderr)
    else:
        sys.stderr.write({"ok": ".", "FAIL": "F", "ERROR": "E"}[outcome])
    if outcome != "ok":
        problems.append((outcome, test, test_id))


for label in labels:
    app, _, rest = label.partition(".")
    module, _, only = rest.partition(".")
    folder = os.path.join(here, app)
    if not os.path.isdir(folder):
        print("Traceback (most recent call last):", file=sys.stderr)
        print(f"ModuleNotFoundError: No module named '{label}'", file=sys.stderr)
        sys.exit(1)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".py"))
    if module:
        if f"{module}.py" not in names:
            ran += 1
            report(module, f"unittest.loader._FailedTest.{module}", "ERROR")
            continue
        names = [f"{module}.py"]
    for name in names:
        with open(os.path.join(folder, name)) as f:
            tests = re.findall(r"^    def (test_\\w+)", f.read(), re.MULTILINE)
        if only:
            if only not in tests:
                ran += 1
                report(only, f"unittest.loader._FailedTest.{only}", "ERROR")
                continue
            tests = [only]
        for test in tests:
            ran += 1
            test_id = f"{app}.{name[:-3]}.{test}"
            if test_id in error_ids:
                outcome = "ERROR"
            elif test.startswith("test_fails") or test_id in fail_ids:
                outcome = "FAIL"
            else:
                outcome = "ok"
            report(test, test_id, outcome)
print("", file=sys.stderr)
for outcome, test, test_id in problems:
    print("=" * 70, file=sys.stderr)
    print(f"{outcome}: {test} ({test_id})", file=sys.stderr)
    print("-" * 70, file=sys.stderr)
    print("Traceback (most recent call last):", file=sys.stderr)
    print("AssertionError" if outcome == "FAIL" else "RuntimeError", file=sys.stderr)
    print("", file=sys.stderr)
print("-" * 70, file=sys.stderr)
print(f"Ran {ran} tests in {time.monotonic() - start:.3f}s", file=sys.stderr)
print("", file=sys.stderr)
failures = sum(1 for p in problems if p[0] == "FAIL")
errors = len(problems) - failures
counts = ", ".join(
    f"{what}={n}" for what, n in (("failures", failures), ("errors", errors)) if n
)
print(f"FAILED ({counts})" if problems else "OK", file=sys.stderr)
sys.exit(1 if problems else 0)
'''

BACKEND = '''\
"""An in-tree PEP 517 backend: a wheel of django/, dated SOURCE_DATE_EPOCH."""
import base64
import hashlib
import os
import sys
import time
import zipfile


def _version():
    sys.path.insert(0, os.getcwd())
    import django

    return django.__version__


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    name = f"django-{version}-py3-none-any.whl"
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    date = time.gmtime(max(epoch, 315532800))[:6]
    files = sorted(
        os.path.join(d, f).replace(os.sep, "/")
        for d, _, fs in os.walk("django")
        for f in fs
        if not f.endswith(".pyc")
    )
    dist = f"django-{version}.dist-info"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:

        def add(arcname, data, mode=0o100644):
            info = zipfile.ZipInfo(arcname, date)
            info.external_attr = mode << 16
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
            records.append(f"{arcname},sha256={digest.rstrip(b'=').decode()},{len(data)}")

        for path in files:
            with open(path, "rb") as f:
                add(path, f.read(), os.stat(path).st_mode)
        metadata = f"Metadata-Version: 2.1\\nName: Django\\nVersion: {version}\\n"
        add(f"{dist}/METADATA", metadata.encode())
        wheel = "Wheel-Version: 1.0\\nGenerator: fake\\nRoot-Is-Purelib: true\\n"
        add(f"{dist}/WHEEL", (wheel + "Tag: py3-none-any\\n").encode())
        record = "\\n".join(records + [f"{dist}/RECORD,,"]) + "\\n"
        add(f"{dist}/RECORD", record.encode())
    return name
'''

#: python -m build, as far as forkpatch uses it: --wheel --no-isolation --outdir.
BUILD_MAIN = """\
import argparse
import importlib
import os
import sys
import tomllib

parser = argparse.ArgumentParser(prog="build")
parser.add_argument("srcdir")
parser.add_argument("--wheel", action="store_true")
parser.add_argument("--no-isolation", action="store_true")
parser.add_argument("--outdir")
args = parser.parse_args()
path = os.path.join(args.srcdir, "pyproject.toml")
try:
    with open(path, "rb") as f:
        system = tomllib.load(f)["build-system"]
except tomllib.TOMLDecodeError as exc:
    print(f"ERROR Failed to parse {path}: {exc}", file=sys.stderr)
    sys.exit(1)
sys.path[:0] = [os.path.join(args.srcdir, p) for p in system.get("backend-path", [])]
os.chdir(args.srcdir)
backend = importlib.import_module(system["build-backend"])
os.makedirs(args.outdir, exist_ok=True)
print("Successfully built", backend.build_wheel(os.path.abspath(args.outdir)))
"""


def files(version, dev=False):
    """The tree of a fake Django release (path -> text), and executable paths."""
    vt = version_tuple(version, dev)
    minor = sys.version_info[1]
    tree = {
        "PKG-INFO": (
            f"Metadata-Version: 2.1\nName: Django\nVersion: {version}\n"
            f"Classifier: Programming Language :: Python :: 3.{minor}\n"
            "Classifier: Programming Language :: Python :: 3 :: Only\n"
        ),
        "pyproject.toml": textwrap.dedent("""\
            [build-system]
            requires = []
            build-backend = "fakebackend"
            backend-path = ["."]

            [project]
            name = "Django"
            dynamic = ["version"]
            dependencies = []
            """),
        "fakebackend.py": BACKEND,
        "django/__init__.py": (
            "from django.utils.version import get_version\n\n"
            f"VERSION = {vt!r}\n\n__version__ = get_version(VERSION)\n\n\n"
            "def setup():\n    pass\n"
        ),
        "django/utils/__init__.py": "",
        "django/utils/version.py": textwrap.dedent("""\
            def get_complete_version(version=None):
                if version is None:
                    from django import VERSION as version
                return version


            def get_version(version=None):
                version = get_complete_version(version)
                parts = 2 if version[2] == 0 else 3
                main = ".".join(str(x) for x in version[:parts])
                sub = ""
                if version[3] == "alpha" and version[4] == 0:
                    sub = ".dev0"
                elif version[3] != "final":
                    mapping = {"alpha": "a", "beta": "b", "rc": "rc"}
                    sub = mapping[version[3]] + str(version[4])
                return main + sub
            """),
        "django/conf/__init__.py": textwrap.dedent("""\
            class Settings:
                def configure(self, **options):
                    self.__dict__.update(options)


            settings = Settings()
            """),
        "django/conf/project_template/manage.py-tpl": "#!/usr/bin/env python\n",
        "django/db/__init__.py": textwrap.dedent("""\
            import contextlib


            class OperationalError(Exception):
                pass


            class Connection:
                @contextlib.contextmanager
                def _nodb_cursor(self):
                    from django.conf import settings

                    user = settings.DATABASES["default"].get("USER")
                    if user == "nobody":
                        raise OperationalError(
                            'connection failed: FATAL:  role "nobody" does not exist'
                        )
                    yield None


            connection = Connection()
            """),
        "django/db/models/__init__.py": f"{IMPORT_LINE}\n\n__all__ = ['QuerySet']\n",
        "django/db/models/query.py": textwrap.dedent("""\
            class BaseIterable:
                def __init__(self, queryset):
                    self.queryset = queryset


            class QuerySet:
                pass


            class Prefetch:
                pass


            def prefetch_related_objects(instances, *lookups):
                pass
            """),
        "docs/ref/models/querysets.txt": (
            "QuerySet API\n============\n\n``prefetch_related_objects()``\n"
            "-------------------------------\n\nPrefetches.\n"
        ),
        "tests/runtests.py": RUNTESTS,
        "tests/test_sqlite.py": (
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3'}}\n"
        ),
        "tests/async/tests.py": (
            "class AsyncTests:\n    def test_aiterator(self):\n        pass\n\n"
            "    def test_chunks(self):\n        pass\n"
        ),
        "tests/prefetch_related/tests.py": (
            "class PrefetchTests:\n    def test_prefetch(self):\n        pass\n"
        ),
        "tests/basic/tests.py": "class BasicTests:\n    def test_basic(self):\n        pass\n",
    }
    return tree, {"django/conf/project_template/manage.py-tpl", "tests/runtests.py"}


def sdist(version, filename=None, extra=None):
    """The bytes of a fake Django sdist (a gzipped tar with one top-level folder);
    extra: more files (path -> text), e.g. tests/fake_failures.txt."""
    tree, executable = files(version)
    tree = {**tree, **(extra or {})}
    top = f"django-{version}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path, text in sorted(tree.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            info.mode = 0o755 if path in executable else 0o644
            info.mtime = 946684800
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_tree(path, version, dev=False):
    """The fake release's files under path (for a clone or a vendored copy)."""
    tree, executable = files(version, dev)
    for rel, text in tree.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if rel in executable:
            target.chmod(0o755)
    return path


def wheel(name, version, modules=None):
    """The bytes of a minimal pure-Python wheel (for the index to serve to pip)."""
    import base64
    import hashlib
    import zipfile

    dist = f"{name}-{version}.dist-info"
    contents = dict(modules or {f"{name}.py": ""})
    contents[f"{dist}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    contents[f"{dist}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, text in contents.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    contents[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for path, text in contents.items():
            z.writestr(path, text)
    return buffer.getvalue()
