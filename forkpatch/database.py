"""The database a run uses: --db as a URL, read into Django's DATABASES settings.

forkpatch does not depend on Django (installing it must never install or upgrade
a user's Django), so the URL is read here with urllib, for the three backends the
kit tests on: sqlite, postgres://USER:PASSWORD@HOST:PORT/NAME and
mysql://USER:PASSWORD@HOST:PORT/NAME (query parameters become OPTIONS).
"""

import socket
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from forkpatch.errors import ForkpatchError

SCHEMES = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgsql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
EXAMPLES = (
    "try sqlite, postgres://postgres@127.0.0.1:5432/forkpatch or "
    "mysql://root@127.0.0.1:3306/forkpatch"
)


@dataclass(frozen=True)
class Database:
    """What --db named: sqlite, or a server reached by URL, with its settings."""

    vendor: str
    url: str | None = None
    settings: dict = field(default_factory=dict, compare=False)

    @property
    def host(self):
        return self.settings.get("HOST") or "127.0.0.1"

    @property
    def port(self):
        return int(self.settings.get("PORT") or DEFAULT_PORTS[self.vendor])

    @property
    def where(self):
        return f"the {self.vendor} server at {self.host}:{self.port}"


def parse_db(text):
    """sqlite (the default), postgres://... or mysql://... as a Database."""
    if text in (None, "", "sqlite"):
        return Database("sqlite")
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError as exc:
        raise ForkpatchError(f"cannot read the database URL {text!r}: {exc}.")
    if not url.scheme:
        raise ForkpatchError(
            f"cannot read the database URL {text!r}: it has no scheme ({EXAMPLES})."
        )
    vendor = SCHEMES.get(url.scheme.lower())
    if vendor is None:
        raise ForkpatchError(
            f"{text!r} is not a PostgreSQL, MySQL/MariaDB or SQLite URL ({EXAMPLES})."
        )
    if vendor == "sqlite":
        return Database("sqlite")
    settings = {
        "ENGINE": f"django.db.backends.{vendor}",
        "NAME": unquote(url.path.lstrip("/")) or "forkpatch",
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": (
            unquote(url.hostname or "")
            if "%2f" not in url.netloc.lower()
            else unquote(url.netloc.rpartition("@")[2])
        ),
        "PORT": str(port or ""),
    }
    options = dict(parse_qsl(url.query))
    if options:
        settings["OPTIONS"] = options
    return Database(vendor, text, settings)


def check_reachable(db, timeout=5):
    """Fail in one line, before any set-up, when a database server does not answer."""
    if db.vendor == "sqlite" or db.host.startswith("/"):
        return  # A Unix socket: the login check will say if it is not there.
    try:
        socket.create_connection((db.host, db.port), timeout=timeout).close()
    except OSError as exc:
        raise ForkpatchError(
            f"{db.where} does not answer ({exc.strerror or exc}); "
            "start it, or run on SQLite with --db sqlite."
        )
