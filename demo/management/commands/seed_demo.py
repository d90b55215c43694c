from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Agency, Membership, Role, School, User
from checklists.catalog.models import CatalogVersion
from demo.assessments import demo_assessments, demo_first_assessment
from demo.exercises import demo_exercises
from demo.notifications import demo_notifications
from demo.training import demo_training

DEMO_PASSWORD = "harbor-demo-2026"  # noqa: S105 — printed for the demo, never used in production


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    job_title: str
    access: str
    roles: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoAgency:
    slug: str
    name: str
    jurisdiction: str
    state: str
    schools: tuple[tuple[str, str], ...]
    people: tuple[DemoPerson, ...] = field(default=())


A = Membership.Access
HARBOR_DISTRICT = "Harbor City Unified School District"
DEMO = (
    DemoAgency(
        slug="harbor-city-pd",
        name="Harbor City Police Department",
        jurisdiction="City of Harbor City",
        state="OH",
        schools=(
            ("Harbor City High School", HARBOR_DISTRICT),
            ("Lincoln Middle School", HARBOR_DISTRICT),
            ("Bayview Elementary School", HARBOR_DISTRICT),
        ),
        people=(
            DemoPerson("chief@harbor.example", "Dana Whitfield", "Chief of Police", A.LEAD,
                       ("agency-leadership", "incident-command")),
            DemoPerson("training@harbor.example", "Marcus Reyes", "Training Coordinator", A.EDITOR,
                       ("training-coordinator",)),
            DemoPerson("sro.hill@harbor.example", "Jamie Hill", "School Resource Officer", A.SRO,
                       ("school-resource-officer",), ("Harbor City High School",)),
            DemoPerson("sro.park@harbor.example", "Sam Park", "School Resource Officer", A.SRO,
                       ("school-resource-officer",),
                       ("Lincoln Middle School", "Bayview Elementary School")),
            DemoPerson("viewer@harbor.example", "Lee Chen", "Records Supervisor", A.VIEWER),
            # Sees the signed public summaries and their scores only (issue 12).
            DemoPerson("council@harbor.example", "Pat Morgan", "City Council Liaison", A.PUBLIC),
        ),
    ),
    DemoAgency(
        slug="lakeside-county-so",
        name="Lakeside County Sheriff's Office",
        jurisdiction="Lakeside County",
        state="OH",
        # A county office serving a district of fourteen schools: its dashboard charts the ten
        # furthest behind.
        schools=tuple(
            (name, "Lakeside County Schools")
            for name in (
                "Lakeside Regional High School", "North Lakeside High School",
                "Cedar Grove Middle School", "Pine Hollow Middle School",
                "Maple Ridge Elementary School", "Willow Creek Elementary School",
                "Oak Park Elementary School", "Birch Lane Elementary School",
                "Elm Street Elementary School", "Riverside Elementary School",
                "Hillcrest Elementary School", "Fox Run Elementary School",
                "Spring Valley Elementary School", "Lakeside Career Center",
            )
        ),
        people=(
            DemoPerson("sheriff@lakeside.example", "Robin Alvarez", "Sheriff", A.LEAD,
                       ("agency-leadership",)),
        ),
    ),
)  # fmt: skip


class Command(BaseCommand):
    help = (
        "Create the demo agencies, schools and people (one per access level) if they are "
        "missing. Running it again changes nothing. Refused with DEBUG off unless --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a demo server): the demo logins share one password.",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        # The demo people all have the password printed below: never on a real server by mistake.
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real server, and the demo people's password is "
                "public. Run with --force to seed it anyway."
            )
        roles = {role.slug: role for role in Role.objects.all()}
        created = 0
        for demo in DEMO:
            agency, new = Agency.objects.get_or_create(
                slug=demo.slug,
                defaults={
                    "name": demo.name,
                    "jurisdiction": demo.jurisdiction,
                    "state": demo.state,
                },
            )
            created += new
            schools = {}
            for name, district in demo.schools:
                schools[name], new = School.objects.get_or_create(
                    agency=agency, name=name, defaults={"district": district}
                )
                created += new
            for person in demo.people:
                created += self._person(agency, person, roles, schools)
        if created and not roles:
            self.stderr.write("No roles exist yet: load the catalogs first to give people roles.")
        harbor = Agency.objects.get(slug=DEMO[0].slug)
        coordinator = User.objects.get(email=DEMO[0].people[1].email)
        if added := demo_training(harbor, by=coordinator):
            self.stdout.write(f"Demo training records: {added} people, three years of training.")
        if not harbor.assessments.exists() and CatalogVersion.objects.exists():
            this_year = demo_assessments(harbor, password=DEMO_PASSWORD)
            demo_notifications(harbor, this_year)
            self.stdout.write(
                "Demo assessments: 2025 (signed off; the task worker produces its signed reports) "
                "and 2026 (in progress, three items just given to the training coordinator)."
            )
        lakeside = Agency.objects.get(slug=DEMO[1].slug)
        if not lakeside.assessments.exists() and CatalogVersion.objects.exists():
            demo_first_assessment(lakeside)
            self.stdout.write(
                "Demo assessment: Lakeside County's first, under way at its fourteen schools."
            )
        chief = User.objects.get(email=DEMO[0].people[0].email)
        if added := demo_exercises(harbor, by=coordinator, verifier=chief, password=DEMO_PASSWORD):
            self.stdout.write(
                f"Demo exercises: {added} exercises with reviews and their plan, and their "
                "after-action reports signed (the task worker produces the PDFs)."
            )
        self.stdout.write(
            f"Demo data: {created} records created." if created else "Demo data: up to date."
        )
        self._print_logins()

    def _person(self, agency: Agency, person: DemoPerson, roles: dict, schools: dict) -> int:
        user = User.objects.filter(email=person.email).first()
        created = 0
        if user is None:
            user = User.objects.create_user(
                person.email, DEMO_PASSWORD, full_name=person.full_name, job_title=person.job_title
            )
            created += 1
        membership, new = Membership.objects.get_or_create(
            user=user, agency=agency, defaults={"access": person.access}
        )
        if new:
            membership.roles.set([roles[slug] for slug in person.roles if slug in roles])
            membership.schools.set([schools[name] for name in person.schools])
            created += 1
        return created

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for demo in DEMO:
            self.stdout.write(f"  {demo.name}")
            for person in demo.people:
                self.stdout.write(
                    f"    {person.email:<28} {person.access:<7} {person.full_name}, {person.job_title}"
                )
