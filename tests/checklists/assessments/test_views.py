"""The checklist, the response form (htmx and plain), the SRO and viewer, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from checklists.assessments.comments import comment_add
from checklists.assessments.evidence import attachment_add
from checklists.assessments.services import (
    assessment_start_next,
    response_update,
    school_responses_ensure,
)
from checklists.models import Assessment, Response
from tests.factories import SchoolFactory
from tests.helpers import escaped, required_answers, response_for, response_post, url

S = Response.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_checklist_lists_every_item_grouped_by_section(client_for, agency, viewer, assessment):
    response = client_for(viewer).get(
        url("assessment_checklist", agency, assessment.pk), {"status": ""}
    )

    assert response.status_code == 200
    assert response.context["page"].paginator.count == assessment.responses.count()
    assert "Immediate action" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "in_place"}, {"LER-01"}),
        ({"q": "LER-01"}, {"LER-01"}),
        ({"role": "fire-ems"}, None),
        ({"mine": "on"}, {"LER-20"}),
        ({"overdue": "on"}, {"LER-20"}),
    ],
)
def test_filters_are_kept_in_the_url(client_for, agency, editor, assessment, params, expected):
    from datetime import date

    done = response_for(assessment, "LER-01")
    response_update(
        response=done,
        by=editor,
        expected_version=1,
        status=S.IN_PLACE,
        answers=required_answers(done),
    )
    assessment.responses.filter(item__code="LER-20").update(
        owner=editor, target_date=date(2020, 1, 1)
    )

    page = (
        client_for(editor)
        .get(url("assessment_checklist", agency, assessment.pk), params)
        .context["page"]
    )

    codes = {r.item.code for r in page.object_list}
    if expected is None:  # every item of the role
        expected = set(
            assessment.catalog_version.items.filter(roles__slug=params["role"]).values_list(
                "code", flat=True
            )
        )
    assert codes == expected


def test_the_toolbar_shows_the_filters_chosen(client_for, agency, editor, assessment, school):
    params = {"q": 'fire "<drill>"', "mine": "on", "status": "in_place", "school": school.pk}

    page = client_for(editor).get(url("assessment_checklist", agency, assessment.pk), params)

    text = page.content.decode()
    assert f'<input type="text" name="q" value="{escaped(params["q"])}" class="form-control' in text
    assert (
        '<input type="checkbox" name="mine" class="form-check-input" id="id_mine" checked>' in text
    )
    assert '<input type="checkbox" name="overdue" class="form-check-input" id="id_overdue">' in text
    assert '<option value="in_place" selected>In place</option>' in text
    assert f'<option value="{school.pk}" selected>{school.name}</option>' in text
    assert '<label class="form-check-label" for="id_mine">Assigned to me</label>' in text


def test_school_filter_and_my_roles(client_for, agency, sro, assessment, school):
    sro.memberships.get().roles.set(
        assessment.catalog_version.items.get(code="LER-16").roles.filter(
            slug="school-resource-officer"
        )
    )
    client = client_for(sro)

    by_school = client.get(
        url("assessment_checklist", agency, assessment.pk), {"school": school.pk}
    ).context["page"]
    mine = client.get(
        url("assessment_checklist", agency, assessment.pk), {"my_roles": "on"}
    ).context["page"]

    assert {r.school for r in by_school.object_list} == {school}
    assert all(
        any(role.slug == "school-resource-officer" for role in r.item.roles.all())
        for r in mine.object_list
    )


def test_htmx_edit_opens_the_form_in_place(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-02")

    response = client_for(editor).get(url("response_detail", agency, target.pk), **HTMX)

    page = response.content.decode()
    assert "<html" not in page
    assert f'id="response-{target.pk}"' in page
    assert 'name="answer_officers_trained"' in page


def test_the_form_opens_with_focus_on_the_current_status(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-02")
    target.status = Response.Status.IN_PROGRESS
    target.save()

    page = client_for(editor).get(url("response_detail", agency, target.pk), **HTMX)

    focused = re.findall(r"<input[^>]*autofocus[^>]*>", page.content.decode())
    assert len(focused) == 1
    assert 'value="in_progress"' in focused[0]


def test_htmx_save_returns_the_row_and_asks_the_page_for_its_figures(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-01")

    response = client_for(editor).post(
        url("response_detail", agency, target.pk),
        response_post(
            target,
            status=S.IN_PLACE,
            **{f"answer_{k}": v for k, v in required_answers(target).items()},
        ),
        **HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "In place" in page
    assert response["HX-Trigger"] == "figures-changed"  # the page's #figures fetch themselves
    target.refresh_from_db()
    assert target.status == S.IN_PLACE


def test_plain_post_saves_and_returns_to_the_filtered_checklist(
    client_for, agency, editor, assessment
):
    target = response_for(assessment, "LER-02")
    back = url("assessment_checklist", agency, assessment.pk) + "?q=LER-02"

    response = client_for(editor).post(
        url("response_detail", agency, target.pk), response_post(target, notes="Planned", next=back)
    )

    assert response.status_code == 302
    assert response.url == f"{back}#response-{target.pk}"
    target.refresh_from_db()
    assert target.notes == "Planned"


def test_next_cannot_send_the_user_elsewhere(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-02")

    response = client_for(editor).post(
        url("response_detail", agency, target.pk),
        response_post(target, next="https://evil.example/"),
    )

    assert response.url.startswith(url("assessment_checklist", agency, assessment.pk))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"status": "in_place"},
            "answer_policy_reference",
            "Required before the item can be marked in place.",
        ),
        ({"status": "not_applicable"}, "justification", "Say why the item does not apply."),
        (
            {"answer_last_reviewed": "2999-01-01"},
            "answer_last_reviewed",
            "This date cannot be in the future.",
        ),
        (
            {"status": "done"},
            "status",
            "Select a valid choice. done is not one of the available choices.",
        ),
    ],
)
def test_invalid_input_is_shown_beside_the_field_and_nothing_is_saved(
    client_for, agency, editor, assessment, changes, field, message
):
    target = response_for(assessment, "LER-01")

    response = client_for(editor).post(
        url("response_detail", agency, target.pk), response_post(target, **changes)
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    target.refresh_from_db()
    assert (target.version, target.status) == (1, S.NOT_STARTED)


def test_number_bounds_from_the_catalog_are_enforced(client_for, agency, editor, assessment):
    target = response_for(assessment, "LER-02")

    response = client_for(editor).post(
        url("response_detail", agency, target.pk),
        response_post(target, answer_officers_trained="-3"),
    )

    assert (
        "greater than or equal to 0"
        in response.context["form"].errors["answer_officers_trained"][0]
    )


def test_conflict_shows_their_version_and_keeps_mine_in_the_form(
    client_for, agency, editor, lead, assessment
):
    target = response_for(assessment, "LER-02")
    stale = response_post(target, notes="Editor's plan")
    response_update(
        response=target, by=lead, expected_version=1, status=S.IN_PROGRESS, notes="Lead's plan"
    )

    response = client_for(editor).post(url("response_detail", agency, target.pk), stale)

    page = response.content.decode()
    assert response.status_code == 200
    assert "after you opened it" in page
    assert "Lead&#x27;s plan" in page
    assert "Editor&#x27;s plan" in page
    assert response.context["form"]["version"].value() == 2
    target.refresh_from_db()
    assert target.notes == "Lead's plan"

    again = client_for(editor).post(
        url("response_detail", agency, target.pk), response_post(target, notes="Editor's plan")
    )

    assert again.status_code == 302
    target.refresh_from_db()
    assert (target.notes, target.version) == ("Editor's plan", 3)


def _save(client, agency, response, **fields) -> int:
    """Post a response's edit form as the client; the status code it answers."""
    return client.post(
        url("response_detail", agency, response.pk), response_post(response, **fields)
    ).status_code


def test_sro_edits_the_items_of_their_school_only(
    client_for, agency, sro, assessment, school, other_school
):
    client = client_for(sro)
    theirs = response_for(assessment, "LER-18", school)
    other = response_for(assessment, "LER-18", other_school)
    agency_item = response_for(assessment, "LER-02")

    assert _save(client, agency, theirs, notes="Drill set") == 302
    assert _save(client, agency, other, notes="x") == 403
    assert _save(client, agency, agency_item, notes="x") == 403
    assert client.get(url("response_detail", agency, agency_item.pk)).status_code == 200
    for refused in (other, agency_item):
        refused.refresh_from_db()
        assert (refused.version, refused.notes) == (1, "")


def test_viewer_reads_everything_and_sees_no_edit_controls(client_for, agency, viewer, assessment):
    client = client_for(viewer)
    target = response_for(assessment, "LER-02")

    checklist = client.get(url("assessment_checklist", agency, assessment.pk)).content.decode()
    detail = client.get(url("response_detail", agency, target.pk)).content.decode()

    assert "Edit<span" not in checklist
    assert "Assign selected" not in checklist
    assert "<form" not in detail.split("<main")[1].split("</main>")[0]
    assert _save(client, agency, target, notes="x") == 403
    assert (
        client.post(
            url("assessment_assign", agency, assessment.pk),
            {"assign-responses": [target.pk], "assign-owner": viewer.pk},
        ).status_code
        == 403
    )
    assert client.post(url("assessment_create", agency), {"title": "x"}).status_code == 403
    target.refresh_from_db()
    assert (target.version, target.notes, target.owner) == (1, "", None)
    assert list(agency.assessments.all()) == [assessment]


def test_lead_starts_an_assessment(client_for, agency, lead, catalog_version, school):
    response = client_for(lead).post(
        url("assessment_create", agency),
        {"title": "2026 annual", "catalog_version": catalog_version.pk},
    )

    assessment = agency.assessments.get()
    assert response.url == assessment.get_absolute_url()
    assert (
        assessment.responses.count()
        == catalog_version.items.filter(scope="agency").count()
        + catalog_version.items.filter(scope="school").count()
    )


def test_editor_assigns_several_items_at_once(client_for, agency, editor, viewer, assessment):
    picked = list(
        assessment.responses.filter(item__code__in=["LER-02", "LER-20"]).values_list(
            "pk", flat=True
        )
    )

    client_for(editor).post(
        url("assessment_assign", agency, assessment.pk),
        {"assign-responses": picked, "assign-owner": viewer.pk, "assign-target_date": "2026-12-01"},
    )

    assert set(assessment.responses.filter(owner=viewer).values_list("pk", flat=True)) == set(
        picked
    )


def test_sro_cannot_assign(client_for, agency, sro, assessment):
    target = response_for(assessment, "LER-02")

    assert (
        client_for(sro)
        .post(
            url("assessment_assign", agency, assessment.pk),
            {"assign-responses": [target.pk], "assign-owner": sro.pk},
        )
        .status_code
        == 403
    )
    target.refresh_from_db()
    assert (target.owner, target.version) == (None, 1)


def test_done_when_sro_records_a_school_item_with_evidence_and_a_file_and_the_lead_sees_it(
    client_for, agency, sro, lead, assessment, school, upload
):
    target = response_for(assessment, "LER-18", school)
    data = response_post(
        target, status=S.IN_PLACE, **{f"answer_{k}": v for k, v in required_answers(target).items()}
    )
    file_prompt = next(p for p in target.item.prompts.all() if p.kind == "file")
    data[f"answer_{file_prompt.key}"] = upload("after-action-report.pdf")
    lead_client = client_for(lead)
    before = lead_client.get(url("agency_detail", agency)).context["overall"]

    response = client_for(sro).post(url("response_detail", agency, target.pk), data)

    assert response.status_code == 302
    after = client_for(lead).get(url("agency_detail", agency)).context
    assert after["overall"].in_place == before.in_place + 1
    assert any(c.item.code == "LER-18" for c in after["changes"])
    assert target.attachments.get().original_name == "after-action-report.pdf"


def test_dashboard_recent_changes_say_when_in_words(client_for, agency, lead, assessment):
    target = response_for(assessment, "LER-02")
    response_update(response=target, by=lead, expected_version=target.version, status=S.IN_PROGRESS)

    page = client_for(lead).get(url("agency_detail", agency)).content.decode()

    assert ", just now</span>" in page
    assert "0 minutes ago" not in page
    target.history.update(history_date=target.history.first().history_date - timedelta(hours=3))
    later = client_for(lead).get(url("agency_detail", agency)).content.decode()
    assert "3\xa0hours ago" in later


def test_attachment_download_is_an_attachment_with_nosniff(
    client_for, agency, viewer, lead, assessment, upload
):
    target = response_for(assessment, "LER-02")
    attachment = attachment_add(
        response=target, upload=upload("roster.pdf"), prompt_key="", by=lead
    )

    response = client_for(viewer).get(url("attachment_download", agency, attachment.pk))

    assert response["Content-Disposition"].startswith('attachment; filename="roster.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


def test_history_shows_who_and_old_and_new_values(client_for, agency, editor, viewer, assessment):
    target = response_for(assessment, "LER-02")
    response_update(
        response=target,
        by=editor,
        expected_version=1,
        status=S.IN_PROGRESS,
        answers={"officers_trained": "12"},
    )

    page = client_for(viewer).get(url("response_history", agency, target.pk))

    newest = page.context["changes"][0]
    rows = newest.changes
    assert newest.who == editor.full_name
    assert ("Status", "Not started", "In progress") in rows
    assert any(row[0].startswith("Officers trained") and row[2] == "12 officers" for row in rows)


def test_csv_export_neutralises_formulas(client_for, agency, editor, viewer, assessment):
    target = response_for(assessment, "LER-02")
    response_update(
        response=target,
        by=editor,
        expected_version=1,
        status=S.IN_PROGRESS,
        notes='=HYPERLINK("http://x")',
    )

    response = client_for(viewer).get(url("assessment_export_csv", agency, assessment.pk))

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == assessment.responses.count()
    row = next(r for r in rows if r["code"] == "LER-02")
    assert row["notes"] == '\'=HYPERLINK("http://x")'
    assert response["Content-Disposition"].startswith("attachment;")


def test_json_export_has_every_response(client_for, agency, viewer, assessment):
    data = json.loads(
        client_for(viewer).get(url("assessment_export_json", agency, assessment.pk)).content
    )

    assert data["assessment"]["title"] == "2026 annual assessment"
    assert len(data["responses"]) == assessment.responses.count()


def test_my_schools_lists_only_the_sros_schools(
    client_for, agency, sro, school, other_school, assessment
):
    rows = client_for(sro).get(url("school_mine", agency)).context["rows"]

    assert [row[0] for row in rows] == [school]


def test_school_page_shows_that_schools_items(client_for, agency, sro, school, assessment):
    page = client_for(sro).get(url("school_checklist", agency, school.pk)).context["page"]

    assert {r.school for r in page.object_list} == {school}


def test_the_dashboard_lists_ten_items_and_counts_them_all(client_for, agency, lead, assessment):
    dashboard = url("agency_detail", agency)
    empty = client_for(lead).get(dashboard).context
    late = assessment.responses.order_by("pk")[:14].values_list("pk", flat=True)
    assessment.responses.filter(pk__in=list(late)).update(owner=lead, target_date="2020-01-01")
    assessment.responses.filter(pk=late[0]).update(status=S.IN_PLACE)  # done: neither list

    page = client_for(lead).get(dashboard).context

    assert (list(empty["overdue"]), empty["overdue_count"]) == ([], 0)
    assert (len(page["overdue"]), page["overdue_count"]) == (10, 13)
    assert (len(page["mine"]), page["mine_count"]) == (10, 13)
    assert late[0] not in {r.pk for r in page["overdue"]}


def test_a_large_agencys_dashboard_shows_the_schools_furthest_behind(
    client_for, agency, lead, assessment, school, other_school
):
    """Up to ten schools the dashboard charts them all by name; beyond, the ten of lowest
    readiness, lowest first, and a link to every school's."""
    dashboard = url("agency_detail", agency)
    few = client_for(lead).get(dashboard)
    for n in range(10):
        school_responses_ensure(school=SchoolFactory(agency=agency, name=f"Extra {n}"))
    behind = {"Extra 4", school.name, other_school.name}
    assessment.responses.exclude(school__name__in=behind).filter(school__isnull=False).update(
        status=S.IN_PLACE
    )

    many = client_for(lead).get(dashboard)

    assert [s.label for s in few.context["schools"]] == sorted([school.name, other_school.name])
    assert not few.context["schools_furthest_behind"]
    assert "furthest behind" not in few.content.decode()
    shown = [(s.label, s.percent) for s in many.context["schools"]]
    assert shown == [(name, 0) for name in sorted(behind)] + [
        (f"Extra {n}", 100) for n in (0, 1, 2, 3, 5, 6, 7)
    ]
    page = many.content.decode()
    assert "By school: the 10 furthest behind" in page
    assert f'href="{url("school_mine", agency)}">Readiness of all 12 schools<' in page


def test_the_checklist_lists_its_rows_under_their_sections_or_says_nothing_matches(
    client_for, agency, lead, assessment
):
    checklist = url("assessment_checklist", agency, assessment.pk)

    page = client_for(lead).get(checklist).content.decode()
    none = client_for(lead).get(checklist, {"q": "no such item"}).content.decode()

    headings = re.findall(r'<h2 class="h5" id="sec-\d+">([^<]+)</h2>', page)
    rows = assessment.responses.for_checklist()
    assert headings == list(dict.fromkeys(r.item.section.title for r in rows))
    first_row = f'id="response-{rows[0].pk}"'
    assert page.index(headings[0]) < page.index(first_row) < page.index(headings[1])
    assert "No item matches these filters." in none
    assert "No item matches these filters." not in page


def test_a_row_of_the_next_assessment_says_what_it_was_and_whether_it_changed(
    client_for, agency, lead, assessment
):
    assessment.responses.update(carried_over=False)
    assessment.responses.filter(item__code="LER-01").update(status=S.IN_PLACE)
    Assessment.objects.filter(pk=assessment.pk).update(state=Assessment.State.SIGNED_OFF)
    later = assessment_start_next(previous=assessment, title="Next", due_date=None, by=lead)
    later.responses.filter(item__code="LER-02").update(status=S.IN_PROGRESS)

    page = client_for(lead).get(url("assessment_checklist", agency, later.pk)).content.decode()

    def row(code):
        pk = response_for(later, code).pk
        return re.search(rf'<article[^>]*id="response-{pk}".*?</article>', page, re.S)[0]

    assert "Last assessment: In place" in row("LER-01")
    assert ">changed<" not in row("LER-01")
    assert "Last assessment: Not started" in row("LER-02")
    assert ">changed<" in row("LER-02")
    assert (
        "Last assessment"
        not in re.search(
            r"<article.*?</article>",
            client_for(lead)
            .get(url("assessment_checklist", agency, assessment.pk))
            .content.decode(),
            re.S,
        )[0]
    )


def test_a_row_shows_its_parts_escaped_and_alone_is_the_same_markup(
    client_for, agency, lead, viewer, assessment, school
):
    school.name = 'Harbor "<High>" & Annex'
    school.save()
    lead.full_name = "Pat <b>Lead</b>"
    lead.save()
    row = response_for(assessment, "LER-18", school)
    assessment.responses.filter(pk=row.pk).update(owner=lead, target_date="2020-01-01")
    comment_add(response=row, body="Which plan?", by=lead)
    checklist = url("assessment_checklist", agency, assessment.pk)

    page = client_for(lead).get(checklist, {"school": school.pk}).content.decode()
    alone = client_for(viewer).get(url("response_detail", agency, row.pk), {"view": "row"}, **HTMX)
    seen = client_for(viewer).get(checklist, {"school": school.pk}).content.decode()

    mine = re.search(rf'<article[^>]*id="response-{row.pk}".*?</article>', page, re.S)[0]
    assert escaped(school.name) in mine
    assert school.name not in mine
    assert "Owner: Pat &lt;b&gt;Lead&lt;/b&gt;" in mine
    assert "Target: Jan 1, 2020" in mine
    assert f'href="{url("response_detail", agency, row.pk)}#comments-{row.pk}"' in mine
    assert "1 open review comment<" in mine
    assert f'id="pick-{row.pk}"' in mine
    assert "?next=" in mine
    assert ">Edit<" in mine
    theirs = re.search(rf'<article[^>]*id="response-{row.pk}".*?</article>', seen, re.S)[0]
    assert alone.content.decode().strip() == theirs
    assert ">Edit<" not in theirs
    assert "pick-" not in theirs


@pytest.mark.parametrize(
    "name", ["agency_detail", "assessment_checklist", "school_checklist", "school_mine"]
)
def test_queries_do_not_grow_with_items_schools_or_responses(
    client_for, agency, lead, assessment, school, count_queries, name, django_assert_max_num_queries
):
    client = client_for(lead)
    args = {
        "agency_detail": [],
        "school_mine": [],
        "assessment_checklist": [assessment.pk],
        "school_checklist": [school.pk],
    }[name]
    page = url(name, agency, *args)
    # One assigned, overdue item from the start, so that every list on the page has rows.
    assessment.responses.filter(item__code="LER-02").update(owner=lead, target_date="2020-01-01")
    client.get(page)
    small = count_queries(lambda: client.get(page))
    for n in range(8):
        SchoolFactory(agency=agency, name=f"Extra {n}")
        school_responses_ensure(school=agency.schools.get(name=f"Extra {n}"))
    assessment.responses.update(status=S.IN_PROGRESS, owner=lead, target_date="2020-01-01")

    with django_assert_max_num_queries(small):
        client.get(page)


def test_evidence_is_removed_only_by_someone_who_may_edit_the_item(
    client_for,
    agency,
    sro,
    editor,
    lead,
    assessment,
    other_school,
    upload,
    django_capture_on_commit_callbacks,
):
    target = response_for(assessment, "LER-18", other_school)
    attachment = attachment_add(response=target, upload=upload("plan.pdf"), prompt_key="", by=lead)
    stored = Path(attachment.file.path)
    assert stored.exists()

    assert client_for(sro).post(url("attachment_delete", agency, attachment.pk)).status_code == 403
    assert target.attachments.get() == attachment
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client_for(editor).post(url("attachment_delete", agency, attachment.pk))

    assert deleted.status_code == 302
    assert not target.attachments.exists()
    assert not stored.exists()


def test_the_edit_form_offers_to_remove_each_file(
    client_for, agency, editor, lead, assessment, upload
):
    target = response_for(assessment, "LER-02")
    attachment = attachment_add(
        response=target, upload=upload("roster.pdf"), prompt_key="", by=lead
    )

    page = client_for(editor).get(url("response_detail", agency, target.pk)).content.decode()

    remove = url("attachment_delete", agency, attachment.pk)
    assert f'href="{remove}" hx-post="{remove}"' in page
    assert f'hx-target="#files-{target.pk}"' in page


def test_school_page_figures_keep_their_labels_and_count_the_save(
    client_for, agency, sro, school, assessment
):
    """Issue 12: after an SRO saves on her school page, "This school" counts the save and the
    agency's line stays "Whole agency" (it was relabelled "Readiness" and the school stale)."""
    target = response_for(assessment, "LER-19", school)
    client = client_for(sro)
    page_url = url("school_checklist", agency, school.pk)
    before = client.get(page_url, {"view": "figures"}, **HTMX).content.decode()

    saved = client.post(
        url("response_detail", agency, target.pk),
        response_post(
            target,
            status=S.IN_PLACE,
            **{
                f"answer_{k}": "yes" if v is True else v
                for k, v in required_answers(target).items()
            },
        ),
        **HTMX,
    )
    assert saved.get("HX-Trigger") == "figures-changed"
    after = client.get(page_url, {"view": "figures"}, **HTMX).content.decode()

    school_items = assessment.responses.for_school(school).count()
    assert f"0 of {school_items} applicable school items in place" in before
    assert f"1 of {school_items} applicable school items in place" in after
    assert "Whole agency: <strong>" in after
    assert "Readiness: <strong>" not in after
    assert 'hx-trigger="figures-changed from:body"' in after


def test_figures_fragment_takes_a_fixed_number_of_queries(
    client_for, agency, sro, school, assessment, django_assert_max_num_queries
):
    client = client_for(sro)
    client.get(url("school_checklist", agency, school.pk), {"view": "figures"}, **HTMX)

    with django_assert_max_num_queries(12):
        client.get(url("school_checklist", agency, school.pk), {"view": "figures"}, **HTMX)


def test_my_schools_shows_each_school_with_its_progress_and_open_items(
    client_for, agency, sro, school, other_school, assessment
):
    page = client_for(sro).get(url("school_mine", agency)).content.decode()

    school_items = assessment.responses.for_school(school).count()
    assert school.name in page
    assert other_school.name not in page  # hers only
    assert f"{school_items} open items" in page


@pytest.mark.parametrize("person", ["sro", "viewer"])
def test_review_and_sign_off_is_not_offered_to_those_who_cannot_use_it(
    request, client_for, agency, school, assessment, person
):
    user = request.getfixturevalue(person)

    page = client_for(user).get(url("school_checklist", agency, school.pk)).content.decode()

    assert "Review and sign-off" not in page


def test_review_and_sign_off_is_offered_to_an_editor(client_for, agency, editor, assessment):
    page = client_for(editor).get(url("assessment_checklist", agency, assessment.pk))

    assert "Review and sign-off" in page.content.decode()
