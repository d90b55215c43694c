"""Digests: at each person's morning hour in their agency's time zone, what is due, from every
registered source (`registry.digest_sources`), queued once per day or week and never empty."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction

from accounts.models import Membership, User
from notifications import registry
from notifications.emails import message_build
from notifications.models import Kind, Message, Preference

DEFAULT = Preference(digest=Preference.Digest.DAILY, digest_hour=7)
# A digest goes out from the person's hour for this many hours: a run missed at 07:00 is made up
# by the next, but nobody gets their morning digest at night.
WINDOW_HOURS = 4


def digests_queue(*, now: datetime) -> int:
    """Queue the digests due at `now`; returns how many have something to tell.

    A digest is due in the WINDOW_HOURS from the person's hour, once per local day (a weekly one
    on Mondays), so a missed run is made up by the next. One with nothing in it is logged as
    skipped, not sent.
    """
    memberships = list(
        Membership.objects.filter(user__is_active=True)
        .select_related("agency", "user__notification_preference")
        .prefetch_related("roles")  # digest sources for a role read it
        .order_by("user_id", "pk")
    )
    keys = _due_keys(memberships, now)
    if not keys:
        return 0
    sent = set(
        Message.objects.filter(kind=Kind.DIGEST, key__in=set(keys.values()))
        .filter(user_id__in=keys)
        .values_list("user_id", "key")
    )
    keys = {user_id: key for user_id, key in keys.items() if (user_id, key) not in sent}
    due = [m for m in memberships if m.user_id in keys]
    sections = _sections(due, now)
    users = {m.user_id: m.user for m in due}
    messages = [_digest(users[u], keys[u], sections.get(u, []), now) for u in keys]
    with transaction.atomic():
        Message.objects.bulk_create(messages, ignore_conflicts=True)
    return sum(m.state == Message.State.QUEUED for m in messages)


def preference(user: User) -> Preference:
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return DEFAULT


def _due_keys(memberships: list[Membership], now: datetime) -> dict[int, str]:
    """Each person whose digest is due: its key ("daily:2026-12-02", "weekly:2026-W49").
    A person in several agencies gets one digest, at the hour of the first they joined."""
    keys = {}
    for m in memberships:
        if m.user_id in keys:
            continue
        chosen = preference(m.user)
        local = now.astimezone(m.agency.zone)
        keys[m.user_id] = _key(chosen, local)
    return {user_id: key for user_id, key in keys.items() if key}


def _key(chosen: Preference, local: datetime) -> str:
    if not chosen.emails(Kind.DIGEST):
        return ""
    if not chosen.digest_hour <= local.hour < chosen.digest_hour + WINDOW_HOURS:
        return ""
    if chosen.digest == Preference.Digest.WEEKLY:
        if local.weekday() != 0:
            return ""
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02}"
    return f"daily:{local.date().isoformat()}"


def _sections(due: list[Membership], now: datetime) -> dict[int, list[registry.Section]]:
    today = {m.agency_id: now.astimezone(m.agency.zone).date() for m in due}
    sections = defaultdict(list)
    for source in registry.digest_sources:
        for user_id, section in source(due, today):
            sections[user_id].append(section)
    return {u: sorted(s, key=lambda section: section.order) for u, s in sections.items()}


def _digest(user: User, key: str, sections: list[registry.Section], now: datetime) -> Message:
    if not sections:
        return Message(
            user=user, kind=Kind.DIGEST, key=key, to=user.email, state=Message.State.SKIPPED
        )
    period = "weekly" if key.startswith("weekly") else "daily"
    count = sum(len(section.lines) for section in sections)
    return message_build(
        user=user,
        kind=Kind.DIGEST,
        key=key,
        subject=f"Muster: your {period} digest, {count} thing{'s' if count != 1 else ''} to look at",
        template="notifications/email/digest",
        context={"sections": sections, "period": period},
        now=now,
    )
