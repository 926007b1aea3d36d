"""Ships the repository's patches/ inside the package as forkpatch/patches.

The series stay at the repository's top, where they are edited; building the
kit's wheel (or installing it with pip, from the checkout or from the sdist)
copies them into the package, where forkpatch reads them with importlib.resources.
An editable install reads the repository's patches/ directly.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_series(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        source = Path(__file__).resolve().parent / "patches"
        if not source.is_dir():
            raise SystemExit("patches/ is missing: the kit cannot be built without it")
        dest = Path(self.build_lib) / "forkpatch" / "patches"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(
            source, dest, ignore=shutil.ignore_patterns(".*", "__pycache__")
        )


setup(cmdclass={"build_py": build_py_with_series})
