"""Operations on notifications: telling people (`notify`, the one function other apps' events
reach), reading, preferences, unsubscribing and the calendar's secret address."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, User
from notifications.models import Kind, Notification, Preference, new_calendar_token
from notifications.tasks import send_due_enqueue
from notifications.unsubscribe import token_read


@transaction.atomic
def notify(
    *, users: Iterable[User], agency: Agency, kind: str, key: str, title: str, url: str = ""
) -> int:
    """Tell each person once about `key` (what, at which stage); returns how many were new.

    Runs in the caller's transaction, so a rolled-back act tells nobody. The email goes out from
    the task worker (and `send_notifications`), grouped with others of its kind.
    """
    people = {user.pk: user for user in users if user is not None and user.is_active}
    rows = [
        Notification(user=user, agency=agency, kind=kind, key=key[:200], title=title[:300], url=url)
        for user in people.values()
    ]
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(send_due_enqueue)
    return len(created)


def notifications_mark_read(*, user: User, pks: Iterable[int] | None = None) -> int:
    """Mark the person's notifications read (all of them without `pks`); returns how many."""
    unread = Notification.objects.for_user(user).unread()
    if pks is not None:
        unread = unread.filter(pk__in=list(pks))
    return unread.update(read_at=timezone.now())


def preference_of(user: User) -> Preference:
    """The person's preferences, created with the defaults on first use."""
    preference, _ = Preference.objects.get_or_create(user=user)
    return preference


@transaction.atomic
def preference_update(
    *, user: User, digest: str, digest_hour: int, muted: Iterable[str]
) -> Preference:
    preference = Preference.objects.select_for_update().get(pk=preference_of(user).pk)
    preference.digest, preference.digest_hour, preference.muted = digest, digest_hour, list(muted)
    preference.full_clean()
    preference.save()
    return preference


@transaction.atomic
def calendar_token_reset(*, user: User) -> Preference:
    """A new secret address for the person's calendar feed; the old one stops working."""
    preference = Preference.objects.select_for_update().get(pk=preference_of(user).pk)
    preference.calendar_token = new_calendar_token()
    preference.save(update_fields=["calendar_token"])
    return preference


def unsubscribe_read(token: str) -> tuple[User, str] | None:
    """The person and kind a signed unsubscribe link names, or None for a bad link."""
    if (read := token_read(token)) is None:
        return None
    user_id, kind = read
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or kind not in Kind.values:
        return None
    return user, kind


@transaction.atomic
def unsubscribe(*, user: User, kind: str) -> Preference:
    """No more email of this kind to this person (the app still shows them)."""
    preference = Preference.objects.select_for_update().get(pk=preference_of(user).pk)
    if kind == Kind.DIGEST:
        preference.digest = Preference.Digest.NEVER
    elif kind not in preference.muted:
        preference.muted = [*preference.muted, kind]
    preference.full_clean()
    preference.save(update_fields=["digest", "muted"])
    return preference
