"""What the improvement plan puts in digests: each person's corrective actions due within 7 days
or overdue (the responsible person's roster entry linked to their account). Registered with
notifications in ExercisesConfig.ready(); one query for any number of people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from accounts.models import Membership
from exercises.models import CorrectiveAction
from notifications.registry import Line, Section

DUE_SOON_DAYS = 7


def my_actions(
    memberships: list[Membership], today: dict[int, date]
) -> Iterator[tuple[int, Section]]:
    if not memberships:
        return
    pairs = {(m.user_id, m.agency_id) for m in memberships}
    latest = max(today.values()) + timedelta(days=DUE_SOON_DAYS)
    actions = (
        CorrectiveAction.objects.unresolved()
        .filter(
            exercise__agency_id__in={a for _, a in pairs},
            owner__user_id__in={u for u, _ in pairs},
            due_on__lte=latest,
        )
        .select_related("exercise__agency", "owner")
        .order_by("due_on", "pk")
    )
    lines = defaultdict(list)
    for action in actions:
        agency_id, user_id = action.exercise.agency_id, action.owner.user_id
        if (user_id, agency_id) not in pairs:
            continue
        local = today[agency_id]
        if action.due_on > local + timedelta(days=DUE_SOON_DAYS):
            continue
        when = action.due_on.strftime("%b %-d")
        late = f"overdue since {when}" if action.due_on < local else f"due {when}"
        text = f"{action.description[:120]} ({action.exercise.title}): {late}"
        lines[user_id].append(Line(text, action.get_absolute_url()))
    for user_id, found in lines.items():
        yield user_id, Section("Your corrective actions due within 7 days or overdue", found, 20)
