from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("checklists.urls")),
    path("admin/", admin.site.urls),
]
