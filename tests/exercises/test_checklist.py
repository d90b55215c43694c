"""What exercises give the checklist at sign-off: LER-18's date frozen into the snapshot, and
the report's section of counts (no exercise titles or findings in the public summary)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from checklists.signoff.pdf import report_html
from exercises.models import Organization
from tests.helpers import corrective_action, exercise, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercised(agency, lead, school, catalog_version):
    drill = exercise(agency, lead, school=school, title="Secret-sounding tabletop", kind="tabletop",
                     starts_on=date(2026, 2, 3), ends_on=date(2026, 2, 3))  # fmt: skip
    drill.organizations.set([Organization.objects.create(agency=agency, name="Harbor Fire",
                                                         kind="fire_ems")])  # fmt: skip
    corrective_action(drill, lead, description="Fix the radio gap", due_on=date(2026, 4, 1))
    return drill


def test_sign_off_freezes_the_exercise_dates_and_counts(complete_assessment, lead, exercised):
    signed = sign(complete_assessment, lead)
    exercised.delete()

    full = json.loads(signed.snapshot)
    row = next(r for r in full["responses"] if r["item"] == "LER-26")
    assert row["answers"]["last_joint_exercise"] == "2026-02-03"
    assert row["computed"]["last_joint_exercise"].startswith("From exercise records, as of")
    assert full["sections"]["exercises"]["actions"]["overdue"] == 1
    assert "Exercises and corrective actions" in report_html(full, edition="full")


def test_the_public_summary_carries_counts_only(complete_assessment, lead, exercised):
    signed = sign(complete_assessment, lead)

    public = json.loads(signed.public_snapshot)

    assert public["sections"]["exercises"]["exercises"] == 1
    assert "Secret-sounding" not in signed.public_snapshot
    assert "Fix the radio gap" not in signed.public_snapshot
