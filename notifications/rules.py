"""Who may do what with notifications: each person reads and marks only their own."""

from __future__ import annotations

import rules


@rules.predicate
def is_recipient(user, notification) -> bool:
    return notification is not None and notification.user_id == user.pk


rules.add_perm("notifications.view_notification", rules.is_authenticated & is_recipient)
rules.add_perm("notifications.change_notification", rules.is_authenticated & is_recipient)
