"""Configuration that deployments rely on."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

# What a deployment sets (.env.example); everything else keeps its default.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "muster.example.org",
    "EMAIL_URL": "smtp+tls://muster:password@mail.example.org:587",
}


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Python in a fresh process with the given environment over ours, minus DEBUG, the key and
    the browser tests' async switch (which check --deploy rightly refuses)."""
    dropped = ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in dropped} | env
    return subprocess.run(  # noqa: S603 (the tests' own fixed arguments)
        [sys.executable, *args],
        env=environment | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def start_django(**env: str) -> subprocess.CompletedProcess:
    return run_python("-c", "import django; django.setup()", **env)


def test_production_settings_pass_the_deployment_checklist_without_a_warning():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_settings_are_the_strict_ones():
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER, s.STORAGES['staticfiles']['BACKEND'])"
    )

    production = run_python("-c", show, **PRODUCTION).stdout.split()
    behind_a_proxy = run_python(
        "-c", show, **PRODUCTION, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"
    ).stdout.split()

    assert production == [
        "True", "31536000", "True", "True", "True", "True", "None",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]  # fmt: skip
    assert behind_a_proxy[6:8] == ["('HTTP_X_FORWARDED_PROTO',", "'https')"]


def test_an_http_request_is_sent_to_https_with_hsts_except_the_health_check(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    insecure = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)

    assert insecure.status_code == 301
    assert insecure.url == "https://testserver/accounts/login/"
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure["Referrer-Policy"] == "same-origin"
    assert secure["Cross-Origin-Opener-Policy"] == "same-origin"
    assert client.get("/healthz").status_code == 200


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python("manage.py", "check", DEBUG="false")

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_starts_with_a_secret_key():
    assert start_django(DEBUG="false", SECRET_KEY="a-real-key-from-the-environment").returncode == 0


def test_email_url_becomes_a_mailer():
    from config.settings import _mailer

    mailer = _mailer("smtp+tls://muster:pw@mail.example.org:587")

    assert mailer == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.org",
            "port": 587,
            "username": "muster",
            "password": "pw",
            "use_tls": True,
        },
    }
    assert _mailer("consolemail://") == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend",
        "OPTIONS": {},
    }


def test_passwords_need_twelve_characters_and_are_checked_against_common_ones():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short-pw-1", "password1234"):
        try:
            validate_password(weak)
        except ValidationError:
            continue
        raise AssertionError(f"{weak!r} was accepted")


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_production_serves_hashed_compressed_static_files_through_whitenoise(
    client, settings, tmp_path
):
    """collectstatic's hashed copies, served by WhiteNoise with a long cache and gzip."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: #123456; }\n" * 40)
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    settings.WHITENOISE_AUTOREFRESH = settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", "--no-input", verbosity=0)
    url = staticfiles_storage.url("css/site.css")

    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]


def test_a_django_log_line_is_written_once_with_debug_on(settings):
    """The root's console handler writes Django's lines; Django's own DEBUG-only handler wrote
    each a second time (the task worker's "Task id=…" lines under `make run`)."""
    settings.DEBUG = True
    record = logging.LogRecord("django.tasks", logging.INFO, __file__, 0, "Task", None, None)
    writers, logger = [], logging.getLogger("django.tasks")
    while logger is not None:
        writers += [
            handler
            for handler in logger.handlers
            if type(handler) is logging.StreamHandler  # not pytest's capturing handlers
            and record.levelno >= handler.level
            and handler.filter(record)
        ]
        logger = logger.parent if logger.propagate else None
    assert len(writers) == 1
