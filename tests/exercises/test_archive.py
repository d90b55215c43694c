"""Exercises in the agency's archive: exported with the agency, restored into an empty instance,
the same improvement plan, exercise page and signed AAR/IP after as before, and the AAR still
verifies; a tampered file is refused with nothing written; an older archive still imports."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from io import StringIO
from pathlib import Path

import lxml.html
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Agency, User
from checklists.archive import format as archive_format
from checklists.archive.export import agency_export
from checklists.archive.format import ArchiveError
from checklists.archive.restore import agency_import
from checklists.catalog.models import CatalogVersion, Item
from checklists.signoff.verify import verify_report
from exercises import archive as exercises_archive
from exercises.models import (
    ActionEvent,
    AfterActionReport,
    CorrectiveAction,
    Exercise,
    Objective,
    Observation,
    Organization,
    ReviewAttachment,
)
from exercises.services import action_advance, attachment_add
from tests.helpers import (
    PDF_BYTES,
    aar_signed,
    corrective_action,
    empty_audit_log,
    exercise,
    finding,
    person,
    reviewed,
    url,
)
from training import archive as training_archive
from training.models import Completion, Person, Session

pytestmark = pytest.mark.django_db
FINDING = "The school's radios cannot reach the patrol channel"


def _drill(agency, lead, school, *, course=None, attendees=(), title="Arrival drill"):
    """A reviewed drill at the school, with two organizations, a strength and an area for
    improvement, a sign-in sheet, and an action on the area (owned by a person, on an item and
    the school) taken in progress with a photo as its evidence."""
    ler19 = Item.objects.get(catalog_version=CatalogVersion.objects.latest("pk"), code="LER-19")
    drill = exercise(agency, lead, title=title, school=school, items=[ler19], course=course,
                     attendees=attendees, scenario="An active attacker at morning arrival.")  # fmt: skip
    drill.organizations.set([
        Organization.objects.get_or_create(agency=agency, name="Bayview Fire", kind="fire_ems")[0],
        Organization.objects.get_or_create(agency=agency, name="Harbor USD", kind="school")[0],
    ])  # fmt: skip
    reviewed(drill, lead, summary="A short drill at arrival.")
    finding(drill, lead, text="Every classroom locked within 90 seconds", kind="strength")
    gap = finding(drill, lead, text=FINDING)
    attachment_add(exercise=drill, upload=SimpleUploadedFile("sign-in.pdf", PDF_BYTES), by=lead)
    owner = Person.objects.filter(agency=agency).first() or person(agency, "77")
    action = corrective_action(drill, lead, observation=gap, owner=owner, items=[ler19],
                               schools=[school], due_on=date(2026, 9, 1))  # fmt: skip
    action_advance(action=action, status="in_progress", note="Radio ordered", by=lead,
                   evidence=SimpleUploadedFile("order.pdf", PDF_BYTES + b"%order"))  # fmt: skip
    return drill


@pytest.fixture
def drilled(agency, lead, school, catalog_version, courses):
    """A course-linked drill attended by three of the roster (so training holds its session)."""
    people = [person(agency, f"10{n}", full_name=f"Officer Zed{n}") for n in range(3)]
    return _drill(agency, lead, school, course=courses["alerrt-level-1"], attendees=people)


def _main_text(response) -> str:
    assert response.status_code == 200, response.status_code
    (main,) = lxml.html.fromstring(response.content).xpath("//main")
    return " ".join(main.text_content().split())


def _picture(client, agency, drill, report) -> tuple:
    """The improvement plan, the exercise page (as text: ids change) and the AAR's bytes."""
    plan = _main_text(client.get(url("improvement_plan", agency)))
    page = _main_text(client.get(url("exercise_detail", agency, drill.pk)))
    download = client.get(url("exercise_aar_download", agency, report.pk))
    assert download.status_code == 200
    return plan, page, b"".join(download.streaming_content)


def _flush(settings, tmp_path: Path, media: str = "fresh-media") -> None:
    """A fresh instance: every table emptied (the test's transaction brings them back)."""
    connection.check_constraints()
    empty_audit_log()
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / media


def _exported(agency, tmp_path: Path, name: str = "harbor.zip") -> Path:
    path = tmp_path / name
    agency_export(agency=agency, path=path)
    return path


def _rewritten(path: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(data, files)` applied and a manifest true to it: what
    a forger, or an older Muster, would write."""
    with zipfile.ZipFile(path) as source:
        data = json.loads(source.read("data.json"))
        manifest = json.loads(source.read("manifest.json"))
        files = {n: source.read(n) for n in source.namelist() if n.startswith("files/")}
    change(data, files)
    payload = json.dumps(data).encode()
    manifest["counts"] = {kind: len(rows) for kind, rows in data.items()}
    manifest["members"] = {"data.json": _member(payload)} | {
        name: _member(content) for name, content in files.items()
    }
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr("data.json", payload)
        archive.writestr("manifest.json", json.dumps(manifest))
    return target


def _member(content: bytes) -> dict:
    return {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


def _exercise_rows() -> dict[str, int]:
    models = [Exercise, Observation, ReviewAttachment, CorrectiveAction, ActionEvent]
    return {model.__name__: model.objects.count() for model in [*models, AfterActionReport]}


def test_an_agencys_exercises_come_back_from_its_archive_and_the_aar_still_verifies(
    agency, lead, drilled, client_for, tmp_path, settings, render_reports,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    report = aar_signed(drilled, lead, django_capture_on_commit_callbacks)
    before = _picture(client_for(lead), agency, drilled, report)
    path = tmp_path / "harbor.zip"
    agency_export(agency=agency, path=path)

    _flush(settings, tmp_path)
    agency_import(path=path)

    restored = Agency.objects.get(slug="harbor")
    drill = Exercise.objects.get(agency=restored)
    aar = AfterActionReport.objects.get()
    client = client_for(User.objects.get(email=lead.email))
    after = _picture(client, restored, drill, aar)
    assert after[:2] == before[:2]
    assert FINDING in after[1]
    assert "Arrival drill" in after[0]
    assert after[2] == before[2] == report.file.read()
    assert (aar.snapshot, aar.snapshot_sha256) == (report.snapshot, report.snapshot_sha256)
    verdict = verify_report(after[2])
    assert verdict.authentic, verdict.problems
    assert verdict.document == aar
    # Attendance is the training session the exercise was recorded as, restored by training.
    assert drill.session.agency == restored
    assert Completion.objects.filter(session=drill.session).count() == 3
    assert set(drill.attendees.values_list("employee_number", flat=True)) == {"100", "101", "102"}
    step = ActionEvent.objects.get(status="in_progress")
    assert step.evidence.exercise == drill
    for attachment in ReviewAttachment.objects.all():
        with attachment.file.open("rb") as file:
            assert hashlib.sha256(file.read()).hexdigest() == attachment.sha256


def test_the_restored_rows_point_at_the_restored_agencys_rows(
    agency, lead, drilled, tmp_path, settings
):
    # The agency has no assessment: the exercise's catalog version travels for the exercise.
    path = tmp_path / "harbor.zip"
    agency_export(agency=agency, path=path)

    _flush(settings, tmp_path)
    agency_import(path=path)

    restored = Agency.objects.get(slug="harbor")
    drill = Exercise.objects.get()
    action = CorrectiveAction.objects.get()
    assert drill.school.agency == restored
    assert drill.created_by.email == lead.email
    assert sorted(drill.organizations.values_list("name", flat=True)) == ["Bayview Fire",
                                                                           "Harbor USD"]  # fmt: skip
    assert list(drill.items.values_list("code", flat=True)) == ["LER-19"]
    assert action.observation.objective.exercise == drill
    assert action.owner.agency == restored
    assert list(action.schools.all()) == [drill.school]
    assert list(action.items.all()) == list(drill.items.all())
    assert drill.review.summary == "A short drill at arrival."


def test_an_archive_with_a_changed_exercise_file_is_refused_and_nothing_is_written(
    agency, lead, drilled, tmp_path, settings
):
    path = tmp_path / "harbor.zip"
    agency_export(agency=agency, path=path)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("files/exercises/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(info, data)

    _flush(settings, tmp_path)
    with pytest.raises(ArchiveError, match="does not match the SHA-256 in the manifest"):
        agency_import(path=tampered)

    assert not Agency.objects.exists()
    assert set(_exercise_rows().values()) == {0}
    assert not (tmp_path / "fresh-media").exists()


def test_a_changed_file_with_a_manifest_made_to_match_is_refused_by_its_row(
    agency, lead, drilled, tmp_path, settings
):
    def forged(data, files) -> None:
        name = "files/" + data["exercises_attachments"][0]["fields"]["file"]
        files[name] = files[name] + b"%forged"

    forgery = _rewritten(_exported(agency, tmp_path), tmp_path / "forged.zip", forged)

    _flush(settings, tmp_path)
    with pytest.raises(ArchiveError, match="does not match the SHA-256 on record"):
        agency_import(path=forgery)
    assert not Agency.objects.exists()


def test_an_archive_made_before_exercises_were_archived_still_imports(
    agency, lead, drilled, tmp_path, settings
):
    def older(data, files) -> None:
        stored = {row["fields"]["file"] for row in data["exercises_attachments"]}
        for kind in exercises_archive.KINDS:
            del data[kind]
        for name in stored:
            del files["files/" + name]

    path = _rewritten(_exported(agency, tmp_path), tmp_path / "older.zip", older)

    _flush(settings, tmp_path)
    agency_import(path=path)

    assert Agency.objects.get().slug == "harbor"
    assert set(_exercise_rows().values()) == {0}
    assert Session.objects.count() == 1  # training came back as it was


def test_the_same_aar_already_signed_here_stops_the_import(
    agency, lead, drilled, tmp_path, settings
):
    report = aar_signed(drilled, lead)
    path = _exported(agency, tmp_path)
    agency.slug = "harbor-old"
    agency.save()
    for user in User.objects.all():
        user.email = f"moved-{user.pk}@harbor.example"
        user.save()

    with pytest.raises(ArchiveError, match="already signed in this Muster"):
        agency_import(path=path)
    assert AfterActionReport.objects.get() == report


def test_an_aar_not_yet_rendered_waits_for_the_recovery_sweep_after_the_restore(
    agency, lead, drilled, tmp_path, settings
):
    aar_signed(drilled, lead)  # queued on a commit that never comes: still pending
    AfterActionReport.objects.update(state="running", task_id="gone")
    path = _exported(agency, tmp_path)

    _flush(settings, tmp_path)
    agency_import(path=path)

    aar = AfterActionReport.objects.get()
    assert (aar.state, aar.task_id, aar.started_at) == ("pending", "", None)


def test_training_is_restored_before_exercises_whatever_order_the_apps_registered_in(
    monkeypatch,
):
    registered = [exercises_archive.SECTION, training_archive.SECTION]
    monkeypatch.setattr(archive_format, "_sections", registered)

    assert archive_format.sections() == [training_archive.SECTION, exercises_archive.SECTION]
    assert list(archive_format.kinds())[-1] == "exercises_aars"


def test_the_export_and_restore_queries_do_not_grow_with_the_exercises(
    agency, lead, school, catalog_version, courses, tmp_path, settings, count_queries
):
    _drill(agency, lead, school)
    one = tmp_path / "one.zip"
    exports = [count_queries(lambda: agency_export(agency=agency, path=one))]
    for n in range(2):
        _drill(agency, lead, school, title=f"Drill {n}")
    three = tmp_path / "three.zip"
    exports.append(count_queries(lambda: agency_export(agency=agency, path=three)))
    assert exports[0] == exports[1]

    counts = []
    for path in (one, three):
        _flush(settings, tmp_path, media=path.stem)
        with CaptureQueriesContext(connection) as captured:
            agency_import(path=path)
        # The audit log is written back event by event (checklists' own rows): left out here.
        counts.append(sum("auditevent" not in q["sql"] for q in captured.captured_queries))

    assert Exercise.objects.count() == 3
    assert counts[0] == counts[1]


def test_sections_that_refer_to_each_other_in_a_circle_are_refused(monkeypatch):
    def section(kinds) -> archive_format.Section:
        return archive_format.Section(kinds=kinds, rows=dict, files=list, restore=print)

    circle = [section({"a": Exercise}), section({"b": Session, "c": Objective})]
    monkeypatch.setattr(archive_format, "_sections", circle)

    with pytest.raises(ImproperlyConfigured, match="in a circle"):
        archive_format.sections()


def test_the_demo_agencys_exercises_come_back_from_its_archive(
    catalog_version, client_for, tmp_path, settings
):
    call_command("seed_demo", "--force", stdout=StringIO())
    harbor = Agency.objects.get(slug="harbor-city-pd")
    chief = User.objects.get(email="chief@harbor.example")
    before = _main_text(client_for(chief).get(url("improvement_plan", harbor)))
    path = _exported(harbor, tmp_path)
    rows = {kind: len(r) for kind, r in _data(path).items() if kind.startswith("exercises_")}

    _flush(settings, tmp_path)
    agency_import(path=path)

    restored = Agency.objects.get(slug="harbor-city-pd")
    chief = User.objects.get(email="chief@harbor.example")
    assert _main_text(client_for(chief).get(url("improvement_plan", restored))) == before
    assert rows["exercises_exercises"] == Exercise.objects.of(restored).count() > 0
    assert rows["exercises_actions"] == CorrectiveAction.objects.of(restored).count() > 0
    assert rows["exercises_aars"] == AfterActionReport.objects.count() > 0


def _data(path: Path) -> dict[str, list[dict]]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("data.json"))
