"""Training records in the agency's archive: exported with the agency, restored into an empty
instance, the same matrix and summary after as before, certificates and all."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Agency, Role
from checklists.archive.export import agency_export
from checklists.archive.restore import agency_import
from tests.helpers import PDF_BYTES, empty_audit_log, person
from training import currency, services
from training.models import Completion, Course, Import, Person, Requirement, Session


def _records(agency, lead, courses) -> None:
    """A roster with a functional role, an own course, a session, a single completion with its
    certificate, requirements of each measure, and an applied import."""
    today = timezone.localdate()
    command = Role.objects.get_or_create(slug="incident-command", defaults={"name": "IC"})[0]
    people = [person(agency, str(n), full_name=f"Officer {n}") for n in range(6)]
    people[0].roles.add(command)
    person(agency, "9", full_name="Civilian Nine", sworn=False)
    range_day = services.course_save(
        course=Course(agency=agency, code="range-day", name="Range day", hours=4), by=lead
    )
    services.session_record(
        session=Session(agency=agency, course=courses["alerrt-level-1"], hours=16,
                        starts_on=today - timedelta(days=400), ends_on=today - timedelta(days=399)),
        attendees=people[:4], by=lead,
    )  # fmt: skip
    services.completion_add(
        completion=Completion(person=people[4], course=range_day, completed_on=today),
        certificate=SimpleUploadedFile("range.pdf", PDF_BYTES), by=lead,
    )  # fmt: skip
    for name, course_list, extra in (
        ("Level I", [courses["alerrt-level-1"]], {"window_months": 12}),
        (
            "Hours",
            [courses["alerrt-level-1"], range_day],
            {"measure": "hours", "hours": Decimal(8)},
        ),
        ("Command", [courses["ics-300"]], {"role": command, "measure": "all"}),
    ):
        services.requirement_save(
            requirement=Requirement(agency=agency, name=name, **{"window_months": 24} | extra),
            courses=course_list, by=lead,
        )  # fmt: skip
    upload = Import.objects.create(
        agency=agency, kind="completions", file_name="lms.csv", sha256="0",
        content=f"Employee ID,Course Code,Completion Date\n5,is-100,{today}\n",
    )  # fmt: skip
    services.import_apply(upload=upload, by=lead)


def _picture(agency) -> tuple:
    """The matrix (by employee number and requirement) and the summary's counts."""
    today = timezone.localdate()
    requirements = currency.for_agency(agency)
    matrix = {
        p.employee_number: [(c.requirement.name, c.status, c.lapses_on) for c in cells]
        for p, cells in currency.rows(Person.objects.of(agency), requirements, today)
    }
    summary = [(s.requirement.name, s.counts) for s in currency.summaries(requirements, today)]
    return matrix, summary


def test_an_agencys_training_records_come_back_from_its_archive(
    agency, lead, courses, tmp_path, settings
):
    _records(agency, lead, courses)
    before = _picture(agency)
    path = tmp_path / "harbor.zip"
    agency_export(agency=agency, path=path)

    connection.check_constraints()
    empty_audit_log()
    call_command("flush", interactive=False, verbosity=0)  # a fresh instance: no shipped courses
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    agency_import(path=path)

    restored = Agency.objects.get(slug="harbor")
    assert _picture(restored) == before
    assert Person.objects.get(employee_number="0").roles.get().slug == "incident-command"
    certificate = Completion.objects.exclude(certificate="").get()
    with certificate.certificate.open("rb") as file:
        assert hashlib.sha256(file.read()).hexdigest() == certificate.certificate_sha256
    assert Import.objects.get().state == Import.State.APPLIED
    assert Course.objects.filter(agency=restored).get().code == "range-day"
    assert Course.objects.filter(agency=None).exists()
