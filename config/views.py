"""The deployment's own pages: the load balancer's health check, the server-error page and the
too-many-requests page."""

from __future__ import annotations

import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import server_error as django_server_error

from checklists.worker import worker_health

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers and the task worker keeps up, 503 otherwise.

    The worker keeps up while its heartbeat is younger than HEALTH_WORKER_HEARTBEAT_MAX_AGE and
    no task has waited longer than HEALTH_QUEUE_MAX_AGE (both in seconds; the answer gives the
    ages). No agency data is read.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        worker = worker_health()
    except DatabaseError as error:
        logger.warning("Health check: the database does not answer (%s)", error)
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    healthy = worker.get("worker") in ("ok", "not used") and worker.get("queue", "ok") == "ok"
    if not healthy:
        logger.warning("Health check: the task worker is not keeping up (%s)", worker)
    body = {"status": "ok" if healthy else "unavailable", "database": "ok", **worker}
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or the 503 page when the cause is a database that cannot be reached.

    Django calls this while it handles the exception, so the exception is at hand. Neither page
    is given the request: context processors and the session would query the database again.
    """
    if _database_unavailable():
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)


def _database_unavailable() -> bool:
    error = sys.exception()
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 429 page, for a request past its rate limit (django-ratelimit's RATELIMIT_VIEW)."""
    return render(request, "429.html", status=429)
