from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("checklists.urls")),
    path("", include("notifications.urls")),
    path("", include("training.urls")),
    path("", include("exercises.urls")),
    path("admin/", admin.site.urls),
    # For load balancers and monitoring: public, no agency data (config/views.py).
    path("healthz", views.healthz, name="healthz"),
]

# A database outage is a friendly 503 instead of a 500 (config/views.py).
handler500 = "config.views.server_error"
