"""Shared fixtures: an agency with one member per access level, and an outsider; the shipped
catalog, loaded once per session; signed reports that are rendered only where a test asks.

Helpers and constants the test modules share are in tests/helpers.py, not here.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from accounts.models import Membership, Role
from checklists.catalog.models import CatalogVersion
from checklists.catalog.reader import read_catalog
from checklists.catalog.services import catalog_load
from tests.factories import AgencyFactory, MembershipFactory, SchoolFactory, UserFactory
from tests.helpers import (
    PDF_BYTES,
    SHIPPED_CATALOG,
    Inbox,
    empty_audit_log,
    free_port,
    point_mail_at,
    shipped_courses,
)
from training.services import courses_load

# Property-based tests (hostile input): few examples, each a request or a file, and in CI the
# same examples on every run, so a failure there can be replayed. Examples share one test's
# database transaction; each rolls its writes back (helpers.rolled_back), hence the health check.
_FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("dev", max_examples=25, **_FUZZ)
hypothesis_settings.register_profile("ci", max_examples=25, derandomize=True, **_FUZZ)
# HYPOTHESIS_PROFILE=quick: a first look while writing a test, without minimising failures.
hypothesis_settings.register_profile(
    "quick", max_examples=10, phases=[Phase.explicit, Phase.reuse, Phase.generate], **_FUZZ
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture(scope="session", autouse=True)
def _plain_http_and_static_sources():
    """The production settings (DEBUG off), except what plain http and no collectstatic need.

    The test client and pytest's live server speak http on 127.0.0.1, so no redirect to https
    and no secure-only cookies; static files come from the source folders rather than from
    `collectstatic`'s hashed copies. tests/test_settings.py checks the real production values.
    """
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        STORAGES=settings.STORAGES
        | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        WHITENOISE_AUTOREFRESH=True,
        WHITENOISE_USE_FINDERS=True,
    ):
        yield


# On SQLite the test database is a file rather than memory, so tests can drive it from real
# threads and from a real task worker process: another process cannot open an in-memory
# database, and a shared-cache one fails a second writer at once instead of letting it wait.
# Each pytest-xdist worker is a process of its own, so the pid keeps their files apart (and
# pytest-django adds the worker's name, "_gw0", as it does to a PostgreSQL test database).
_database = settings.DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3" and not _database.setdefault("TEST", {}).get(
    "NAME"
):
    _database["TEST"]["NAME"] = str(
        Path(tempfile.gettempdir()) / f"test_muster_{os.getpid()}.sqlite3"
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, with the shipped catalog loaded into it once per session
    (per xdist worker): every test starts with it in place. The inserts are what costs (some
    40 ms against 8 ms of reading the YAML), so they are not repeated in every test."""
    with django_db_blocker.unblock():
        catalog_load(path=SHIPPED_CATALOG)
        courses_load()


@pytest.fixture(scope="session")
def _shipped_catalog_sha256() -> str:
    return read_catalog(SHIPPED_CATALOG).sha256()


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    """Every test client is 127.0.0.1, and a fuzz test posts to /verify/ dozens of times: rate
    limits are off except where a test turns them on (tests/checklists/signoff/test_verify_hostile.py)."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def catalog_version(db, _shipped_catalog_sha256) -> CatalogVersion:
    """The shipped RAND catalog's version, as loaded for the session.

    A transactional test ends with a flush, which empties the database, catalog and all: a test
    after it gets the catalog loaded again (for the rest of the session if it is itself
    transactional, else for that test alone).
    """
    loaded = CatalogVersion.objects.filter(content_sha256=_shipped_catalog_sha256).first()
    return loaded or catalog_load(path=SHIPPED_CATALOG).version


@pytest.fixture
def agency(db):
    return AgencyFactory(name="Harbor City Police Department", slug="harbor")


@pytest.fixture
def school(agency):
    return SchoolFactory(agency=agency, name="Harbor High School")


@pytest.fixture
def other_school(agency):
    return SchoolFactory(agency=agency, name="Bayview Elementary")


def _member(agency, access: str, email: str, **extra):
    return MembershipFactory(agency=agency, access=access, user=UserFactory(email=email), **extra)


@pytest.fixture
def lead(agency):
    return _member(agency, Membership.Access.LEAD, "lead@harbor.example").user


@pytest.fixture
def editor(agency):
    return _member(agency, Membership.Access.EDITOR, "editor@harbor.example").user


@pytest.fixture
def sro(agency, school):
    membership = _member(agency, Membership.Access.SRO, "sro@harbor.example")
    membership.schools.set([school])
    return membership.user


@pytest.fixture
def viewer(agency):
    return _member(agency, Membership.Access.VIEWER, "viewer@harbor.example").user


@pytest.fixture
def public_viewer(agency):
    """A council liaison: the public summaries and published scores, nothing internal."""
    return _member(agency, Membership.Access.PUBLIC, "liaison@harbor.example").user


@pytest.fixture
def other_agency(db):
    return AgencyFactory(name="Lakeside County Sheriff's Office", slug="lakeside")


@pytest.fixture
def outsider(other_agency):
    """The lead of another agency: everything of ours must be a 404 to them."""
    return _member(other_agency, Membership.Access.LEAD, "sheriff@lakeside.example").user


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def count_queries():
    """The number of SQL queries a call makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured.captured_queries)

    return count


@pytest.fixture
def admin_user(db):
    """pytest-django's admin_user, for a user model whose login is the email address."""
    from accounts.models import User

    return User.objects.create_superuser(
        "admin@muster.example", "admin-password-1", full_name="Site Admin"
    )


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, with the second factor the admin requires: the session is
    verified with the superuser's authenticator app, as the code step leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="Authenticator app", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def assessment(catalog_version, agency, lead, school, other_school):
    from checklists.assessments.services import assessment_start

    return assessment_start(
        agency=agency,
        catalog_version=catalog_version,
        title="2026 annual assessment",
        due_date=None,
        by=lead,
    )


@pytest.fixture
def upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name: str = "after-action.pdf", content: bytes = PDF_BYTES):
        return SimpleUploadedFile(name, content)

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def _signing_pair(tmp_path_factory):
    from checklists.signoff.signing import signing_pair_create

    folder = tmp_path_factory.mktemp("signing")
    signing_pair_create(folder / "test.key", folder / "test.crt", common_name="Muster test signing")
    return folder / "test.key", folder / "test.crt"


@pytest.fixture(autouse=True)
def _signing_settings(settings, _signing_pair):
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = _signing_pair


@pytest.fixture
def render_reports(settings) -> None:
    """A sign-off renders and signs its reports at once, WeasyPrint and pyHanko for real (about
    a second each), as the task worker would.

    Other tests run on Django's DummyBackend (TASKS_BACKEND in pyproject.toml): a sign-off
    writes its rows and queues the renders, which never run. Django caches its task backends;
    changing TASKS through the settings fixture sends setting_changed, on which Django drops
    them (django.tasks.signals.clear_tasks_handlers), now and again when the test ends.
    """
    settings.TASKS = {
        alias: options | {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
        for alias, options in settings.TASKS.items()
    }


@pytest.fixture
def run_tasks(settings) -> None:
    """A queued task runs at once, in the test's process (ImmediateBackend), as the task worker
    would run it: for the work that is not a report (a confirmed training import)."""
    settings.TASKS = {
        alias: options | {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
        for alias, options in settings.TASKS.items()
    }


@pytest.fixture
def complete_assessment(assessment):
    """Every applicable response recorded (in progress), so the assessment can be submitted."""
    from checklists.models import Response

    assessment.responses.update(status=Response.Status.IN_PROGRESS)
    return assessment


@pytest.fixture(autouse=True)
def _audit_log_emptied_before_flush(request):
    """A transactional test ends with a flush (on SQLite, DELETE FROM every table), which the
    audit log's triggers refuse. Empty the log first, its triggers lifted for that moment only."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")  # so this teardown runs before the flush
    yield
    empty_audit_log()


@pytest.fixture
def smtp(settings):
    """Start a real SMTP server on 127.0.0.1 with a handler (helpers.Inbox); Muster's mail goes
    to it. `smtp(handler, port=...)` starts one again where an earlier one was stopped."""
    servers = []

    def start(handler: Inbox, port: int = 0) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        servers.append(controller)
        point_mail_at(settings, controller.port)
        return controller

    yield start
    for controller in servers:
        with suppress(AssertionError, RuntimeError):  # one a test stopped itself
            controller.stop()


@pytest.fixture
def courses(db) -> dict:
    """The shipped training courses by code (loaded again after a transactional test's flush)."""
    return shipped_courses()


@pytest.fixture
def coordinator(agency):
    """An editor holding the training-coordinator role: keeps the training records."""
    membership = _member(agency, Membership.Access.EDITOR, "training@harbor.example")
    role, _ = Role.objects.get_or_create(
        slug="training-coordinator", defaults={"name": "Training coordinator"}
    )
    membership.roles.add(role)
    return membership.user
