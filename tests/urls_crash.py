"""The project's URLs plus one view that fails, to see the 500 page as a visitor would."""

from __future__ import annotations

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def crash(request):
    raise RuntimeError("a bug on our side")


urlpatterns = [*project_urlpatterns, path("crash/", crash)]
