import pytest

from forkpatch.database import Database, check_reachable, parse_db
from forkpatch.errors import ForkpatchError


@pytest.mark.parametrize(
    "text, vendor",
    [
        (None, "sqlite"),
        ("sqlite", "sqlite"),
        ("sqlite:///:memory:", "sqlite"),
        ("postgres://postgres@127.0.0.1:5432/fp", "postgresql"),
        ("postgresql://u:p@db/fp", "postgresql"),
        ("mysql://root@127.0.0.1:3306/fp", "mysql"),
    ],
)
def test_parse_db(text, vendor):
    assert parse_db(text).vendor == vendor


def test_parse_db_settings():
    db = parse_db("postgres://us%40er:p%3Ass@db.example:6543/name?sslmode=require")
    assert db.settings == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "name",
        "USER": "us@er",
        "PASSWORD": "p:ss",
        "HOST": "db.example",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
    }
    assert (db.host, db.port) == ("db.example", 6543)
    mysql = parse_db("mysql://root@localhost")
    assert (mysql.settings["NAME"], mysql.port) == ("forkpatch", 3306)
    socket = parse_db("postgres://%2Fvar%2Frun%2Fpostgresql/fp")
    assert socket.settings["HOST"] == "/var/run/postgresql"


def test_parse_db_rejects_other_engines():
    with pytest.raises(ForkpatchError) as info:
        parse_db("oracle://scott:tiger@db/orcl")
    assert str(info.value).startswith(
        "'oracle://scott:tiger@db/orcl' is not a PostgreSQL, MySQL/MariaDB or SQLite URL"
    )
    with pytest.raises(ForkpatchError, match="cannot read the database URL 'nonsense'"):
        parse_db("nonsense")
    with pytest.raises(ForkpatchError, match="cannot read the database URL"):
        parse_db("postgres://db:port/x")


def test_unreachable_server_is_one_line():
    with pytest.raises(ForkpatchError) as info:
        check_reachable(parse_db("postgres://postgres@127.0.0.1:9/fp"))
    message = str(info.value)
    assert message.startswith("the postgresql server at 127.0.0.1:9 does not answer (")
    assert message.endswith("start it, or run on SQLite with --db sqlite.")
    assert "\n" not in message
    check_reachable(Database("sqlite"))
