"""The app's pages, room by room: each concern keeps its own `urls.py`."""

from __future__ import annotations

from checklists.assessments import urls as assessments
from checklists.catalog import urls as catalog
from checklists.signoff import urls as signoff

urlpatterns = catalog.urlpatterns + assessments.urlpatterns + signoff.urlpatterns
