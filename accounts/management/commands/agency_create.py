"""`manage.py agency_create`: a real agency's first day, without the admin."""

from __future__ import annotations

import getpass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts import services
from accounts.models import Agency


class Command(BaseCommand):
    help = (
        "Create an agency and email its first lead a single-use invitation (valid "
        "INVITATION_VALID_DAYS days). Refuses a name or slug that another agency has."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the agency's name, e.g. 'Harbor City Police Department'")
        parser.add_argument(
            "--kind", choices=Agency.Kind.values, default=Agency.Kind.LAW_ENFORCEMENT
        )
        parser.add_argument("--state", required=True, help="two-letter state code, e.g. OH")
        parser.add_argument("--lead", required=True, help="the first lead's email address")
        parser.add_argument(
            "--slug", default="", help="its address /agencies/<slug>/ (default: from the name)"
        )
        parser.add_argument(
            "--site-url",
            default="",
            help="where Muster is served, for the link, e.g. https://muster.example.org "
            "(default: https:// and the first of ALLOWED_HOSTS)",
        )

    def handle(
        self, *args, name: str, kind: str, state: str, lead: str, slug: str, **options
    ) -> None:
        site = self._site_url(options["site_url"])
        try:
            agency, invitation, token = services.agency_create(
                name=name, kind=kind, state=state.upper(), lead_email=lead, slug=slug,
                operator=getpass.getuser(),
            )  # fmt: skip
        except ValidationError as error:
            problems = "\n".join(
                f"  {field}: {message}" if field != "__all__" else f"  {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            )
            raise CommandError(f"Nothing was created:\n{problems}") from error
        services.invitation_send(
            invitation=invitation, accept_url=site + reverse("invitation_link", args=[token])
        )
        self.stdout.write(
            f"Created {agency.name} at {site}{agency.get_absolute_url()} and emailed "
            f"{invitation.email} an invitation to lead it, valid {settings.INVITATION_VALID_DAYS} "
            "days. The link is in that email only."
        )

    @staticmethod
    def _site_url(given: str) -> str:
        if given:
            return given.rstrip("/")
        host = next(iter(settings.ALLOWED_HOSTS), "")
        if not host or host.startswith(".") or "*" in host:
            raise CommandError("Give --site-url: it cannot be told from ALLOWED_HOSTS.")
        return f"https://{host}"
