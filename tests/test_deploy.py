"""The documented deployment: a systemd unit for the web server, the task worker and the
recovery sweep, each restarted whatever ends it, the worker below the web server's priority."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "docs" / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(DEPLOY / name)
    return parser


@pytest.mark.parametrize(
    ("name", "runs"),
    [
        ("muster-web.service", "gunicorn -c config/gunicorn.py config.wsgi"),
        ("muster-worker.service", "manage.py task_worker --no-reload"),
        ("muster-recover.service", "manage.py recover_reports --every 60"),
    ],
)
def test_each_service_has_a_unit_that_restarts_it(name, runs):
    service = unit(name)["Service"]

    assert runs in service["ExecStart"]
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/muster/muster.env"
    assert int(service["UMask"], 8) & 0o007 == 0o007  # files not readable by others


def test_the_worker_runs_below_the_web_servers_priority():
    assert int(unit("muster-worker.service")["Service"]["Nice"]) == 19
    assert unit("muster-worker.service")["Service"]["CPUSchedulingPolicy"] == "idle"
    assert "Nice" not in unit("muster-web.service")["Service"]


def test_the_readme_points_at_the_units():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()

    assert "docs/deploy/" in readme
    for name in ("muster-web.service", "muster-worker.service", "muster-recover.service"):
        assert name in readme
