from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def memberships(request: HttpRequest) -> dict:
    """The user's agencies for the switcher, and the agency to show in the navigation.

    A view that works inside an agency passes its own `agency`, which wins over this one; other
    pages (the catalog, password change) keep the agency the user last worked in.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": []}

    def current():
        by_slug = user.agency_memberships
        membership = by_slug.get(request.session.get("agency")) or next(
            iter(by_slug.values()), None
        )
        return membership.agency if membership else None

    return {
        "my_memberships": SimpleLazyObject(lambda: list(user.agency_memberships.values())),
        "agency": SimpleLazyObject(current),
    }
