from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "example-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["chat"]
MIDDLEWARE = []
ROOT_URLCONF = "chatroom.urls"
ASGI_APPLICATION = "chatroom.asgi.application"

# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/chatroom; SQLite by default.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
