"""Who may do what with training records.

Leads, and members holding the training-coordinator role, keep the records; editors and SROs
read them; viewers see only the shares of people current (the dashboard's summary), never names.
"""

from __future__ import annotations

import rules

from accounts.models import Agency, Membership
from accounts.rules import is_lead, is_member, membership_of

COORDINATOR_ROLE = "training-coordinator"


@rules.predicate
def is_training_coordinator(user, agency: Agency | None) -> bool:
    membership = membership_of(user, agency)
    return membership is not None and any(
        r.slug == COORDINATOR_ROLE for r in membership.roles.all()
    )


@rules.predicate
def reads_records(user, agency: Agency | None) -> bool:
    membership = membership_of(user, agency)
    return membership is not None and membership.access != Membership.Access.VIEWER


rules.add_perm("training.view_summary", is_member)
# The main navigation's link: asked on every page, so it reads no roles (a viewer who holds the
# coordinator role reaches the records from the dashboard's summary instead).
rules.add_perm("training.see_nav_link", reads_records)
rules.add_perm("training.view_records", reads_records | is_training_coordinator)
rules.add_perm("training.change_records", is_lead | is_training_coordinator)
