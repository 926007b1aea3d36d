"""Virtual environments that forkpatch makes and reuses.

A Venv is a folder made with ``python -m venv`` and a stamp file listing what
forkpatch installed into it. The stamp decides about reuse: an environment whose
stamp already lists every requirement asked for is used as it is; otherwise the
missing ones are installed (or, with ``exact``, the environment is made again).
Every pip call uses the one package index (``sdist.index_url``).
"""

import logging
import re
from pathlib import Path

from forkpatch import proc
from forkpatch.progress import Status

log = logging.getLogger(__name__)

STAMP = "forkpatch-requirements.txt"

#: pip output lines worth showing while it works.
_PIP_STEP_RE = re.compile(
    r"^\s*(Collecting|Downloading|Building|Installing|Preparing)\b"
)


class Venv:
    def __init__(self, path, interpreter):
        self.path = Path(path)
        self.interpreter = interpreter

    @property
    def python(self):
        return self.path / "bin" / "python"

    @property
    def stamp(self):
        return self.path / STAMP

    def installed(self):
        """The requirements the stamp says are in the environment."""
        if not (self.python.is_file() and self.stamp.is_file()):
            return set()
        return set(self.stamp.read_text().splitlines()) - {""}

    def ensure(self, requirements, index_url, exact=False, pip_options=(), hint=""):
        """Make or reuse the environment so it holds requirements; its python."""
        wanted = set(requirements)
        have = self.installed()
        if (have == wanted) if exact else (wanted <= have):
            return self.python
        if exact or not self.python.is_file():
            log.info(f"creating {self.path} with {self.interpreter}")
            proc.run(
                [self.interpreter, "-m", "venv", "--clear", self.path],
                what=f"creating {self.path}",
            )
            have = set()
        missing = sorted(wanted - have) if not exact else sorted(wanted)
        self.pip_install(missing, index_url, pip_options, hint)
        self.stamp.write_text("".join(f"{req}\n" for req in sorted(have | wanted)))
        return self.python

    def pip_install(self, requirements, index_url, pip_options=(), hint=""):
        """pip install into the environment, showing each step; one line on failure."""
        what = f"installing {', '.join(requirements)} into {self.path.name}"
        with Status(what) as status:
            proc.run(
                [
                    self.python, "-m", "pip", "install", "--disable-pip-version-check",
                    "--progress-bar", "off", "--index-url", index_url,
                    *pip_options, *requirements,
                ],
                what=f"pip install {' '.join(requirements)}",
                env={"PIP_NO_INPUT": "1"},
                on_line=lambda line: (
                    status.update(line.strip()) if _PIP_STEP_RE.match(line) else None
                ),
                hint=hint,
            )  # fmt: skip
