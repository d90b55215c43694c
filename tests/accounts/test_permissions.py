"""The permission predicates, by access level."""

from __future__ import annotations

import pytest

PERMISSIONS = {
    # permission: (lead, editor, sro, viewer, outsider)
    "accounts.view_agency": (True, True, True, True, False),
    "accounts.manage_people": (True, False, False, False, False),
    "accounts.manage_schools": (True, False, False, False, False),
    "accounts.view_audit_log": (True, False, False, False, False),
}


@pytest.mark.parametrize(("perm", "expected"), PERMISSIONS.items())
def test_permission_by_access_level(perm, expected, agency, lead, editor, sro, viewer, outsider):
    users = (lead, editor, sro, viewer, outsider)

    assert tuple(user.has_perm(perm, agency) for user in users) == expected


def test_inactive_user_has_no_permission(agency, lead):
    lead.is_active = False

    assert not lead.has_perm("accounts.view_agency", agency)
