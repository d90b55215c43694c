"""The health check, and what people see while the database cannot be reached."""

from __future__ import annotations

import socket

import pytest
from django.db import connections
from django.test import Client

from tests.helpers import assert_error_page


class Outage:
    """Points the connection at a database that cannot be reached, and back.

    SQLite gets a path in a folder that does not exist, PostgreSQL a port nobody listens on.
    The open connection is set aside, not closed: SQLite's in-memory test database lives only
    as long as a connection to it.
    """

    def __init__(self, tmp_path) -> None:
        self.connection = connections["default"]
        self.saved = dict(self.connection.settings_dict)
        self.kept = None
        if self.connection.vendor == "sqlite":
            self.unreachable = {"NAME": str(tmp_path / "no-such-folder" / "muster.sqlite3")}
        else:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            self.unreachable = {"HOST": "127.0.0.1", "PORT": str(port)}

    def begin(self) -> None:
        self.connection.ensure_connection()
        self.kept = self.connection.connection
        self.connection.settings_dict.update(self.unreachable)
        self.connection.connection = None

    def end(self) -> None:
        self.connection.settings_dict.clear()
        self.connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(tmp_path):
    outage = Outage(tmp_path)
    yield outage
    outage.end()
    if outage.kept is not None:
        outage.connection.close()
        outage.connection.connection = outage.kept


def test_health_check_reports_a_working_database(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_without_the_database_pages_are_a_friendly_503_and_recover_by_themselves(
    client_for, lead, agency, outage
):
    client = client_for(lead)
    client.raise_request_exception = False
    load_balancer = Client()  # no cookies
    outage.begin()

    page = client.get(agency.get_absolute_url())
    health = load_balancer.get("/healthz")

    assert_error_page(page, 503, "cannot reach its database")
    assert page["Retry-After"] == "30"
    assert "OperationalError" not in page.content.decode()
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unavailable"}

    outage.end()  # the database is back: no restart, the next request reconnects

    assert client.get(agency.get_absolute_url()).status_code == 200
    assert load_balancer.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_other_server_errors_stay_a_500(client_for, lead, settings):
    settings.ROOT_URLCONF = "tests.urls_crash"
    client = client_for(lead)
    client.raise_request_exception = False

    assert_error_page(client.get("/crash/"), 500, "Something went wrong on our side")
