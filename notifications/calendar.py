"""A person's iCalendar feed: every registered calendar source's dates, as all-day events.

Each event's UID names the thing, not its date, so a calendar that subscribed moves the event
when the date changes instead of adding a second one.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from notifications import registry
from notifications.emails import absolute


def calendar_feed(user: User) -> bytes:
    feed = icalendar.Calendar()
    feed.add("prodid", "-//Muster//Preparedness checklist//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"Muster: {user.full_name or user.email}")
    stamp = timezone.now()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "muster"
    for source in registry.calendar_sources:
        for event in source(user):
            feed.add_component(_event(event, stamp, host))
    return feed.to_ical()


def _event(event: registry.Event, stamp, host: str) -> icalendar.Event:
    entry = icalendar.Event()
    entry.add("uid", f"{event.uid}@{host}")
    entry.add("dtstamp", stamp)
    entry.add("dtstart", event.day)
    entry.add("dtend", event.day + timedelta(days=1))
    entry.add("summary", event.summary)
    if event.description:
        entry.add("description", event.description)
    if event.url:
        entry.add("url", absolute(event.url))
    return entry
