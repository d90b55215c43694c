"""The scratch database and settings every bench runs in.

A bench imports this module before anything of Django's and calls `setup()`: a fresh directory
for the SQLite file, uploads and collected static files; production settings with DEBUG off and
plain http for the test client; then `django.setup()`. With DATABASE_URL naming another database
(PostgreSQL), the bench runs in a database of its own beside it, `test_<name>`, made afresh
each run (the role needs CREATEDB), so a second run never meets the first one's rows.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import django
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def setup(name: str) -> Path:
    """Point the settings at a new scratch directory, set Django up; the directory's path."""
    sys.path.insert(0, str(ROOT))
    scratch = Path(tempfile.mkdtemp(prefix=f"muster-bench-{name}-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        # The test client speaks plain http: no https redirect, no secure-only cookies.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MEDIA_ROOT": str(scratch / "media"),
        "STATIC_ROOT": str(scratch / "static"),
    }
    django.setup()
    _fresh_database()
    return scratch


def _fresh_database() -> None:
    """A server database made afresh for this run, as the test runner makes one (migrated)."""
    if connection.vendor != "sqlite":
        with redirect_stdout(io.StringIO()):  # createcachetable's "already exists"
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def database_label() -> str:
    """Which database a bench ran on, for its first line."""
    return f"{connection.vendor} ({connection.settings_dict['NAME']})"
