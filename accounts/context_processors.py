from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def memberships(request: HttpRequest) -> dict:
    """The agencies the user belongs to, for the agency switcher (read once, when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": []}
    return {"my_memberships": SimpleLazyObject(lambda: list(user.agency_memberships.values()))}
