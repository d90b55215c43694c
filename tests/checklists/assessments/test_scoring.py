"""Readiness: weighted share of applicable responses in place, computed by the database."""

from __future__ import annotations

from dataclasses import replace

from checklists.assessments import scoring
from checklists.assessments.services import assessment_start_next
from checklists.models import Assessment, Response

S = Response.Status


def set_status(assessment, codes, status, **extra):
    assessment.responses.filter(item__code__in=codes).update(status=status, **extra)


def test_empty_assessment_is_zero(assessment):
    score = scoring.overall(assessment.responses.all())

    assert (score.done, score.percent, score.in_place) == (0, 0, 0)
    assert score.applicable == assessment.responses.count()


def test_weights_count_and_not_applicable_leaves_the_denominator(assessment):
    responses = assessment.responses.all()
    total = sum(r.item.weight for r in responses.select_related("item"))
    set_status(assessment, ["LER-01"], S.IN_PLACE)  # weight 3
    set_status(assessment, ["LER-14"], S.NOT_APPLICABLE)

    score = scoring.overall(responses)

    weight_14 = responses.get(item__code="LER-14").item.weight
    assert (score.done, score.total) == (3, total - weight_14)
    assert (score.in_place, score.applicable) == (1, responses.count() - 1)


def test_carried_over_counts_only_once_confirmed(assessment):
    set_status(assessment, ["LER-01"], S.IN_PLACE, carried_over=True)

    assert scoring.overall(assessment.responses.all()).done == 0


def test_by_school_section_and_role(assessment, school, other_school):
    assessment.responses.filter(school=school).update(status=S.IN_PLACE)

    schools = {s.label: s for s in scoring.by_school(assessment.responses.all())}
    sections = {s.label: s for s in scoring.by_section(assessment.responses.all())}
    roles = {s.label: s for s in scoring.by_role(assessment.responses.all())}

    assert (schools[school.name].percent, schools[other_school.name].percent) == (100, 0)
    assert sections["Schools and school resource officers"].percent == 50
    assert roles["School resource officer"].percent == 50
    assert (
        next(s.label for s in scoring.by_section(assessment.responses.all())) == "Immediate action"
    )


def test_the_sections_together_are_the_overall_score(assessment):
    """The dashboard adds its sections up rather than asking the database for the total."""
    set_status(assessment, ["LER-01", "LER-19"], S.IN_PLACE)
    set_status(assessment, ["LER-14"], S.NOT_APPLICABLE)
    set_status(assessment, ["LER-02"], S.IN_PLACE, carried_over=True)
    responses = assessment.responses.all()

    together = scoring.combined(scoring.by_section(responses))

    assert together == scoring.overall(responses)


def test_each_assessment_gets_its_own_sections_and_roles_from_the_same_queries(
    assessment, lead, django_assert_num_queries
):
    set_status(assessment, ["LER-01"], S.IN_PLACE)
    assessment.responses.update(carried_over=False)
    Assessment.objects.filter(pk=assessment.pk).update(state=Assessment.State.SIGNED_OFF)
    later = assessment_start_next(previous=assessment, title="Next", due_date=None, by=lead)
    set_status(later, ["LER-19"], S.IN_PLACE)
    set_status(later, ["LER-14"], S.NOT_APPLICABLE)

    with django_assert_num_queries(2):  # counts by item; the items' weights, sections and roles
        each = scoring.breakdown_each([later.pk, assessment.pk])

    for one in (later, assessment):
        assert each[one.pk].sections == scoring.by_section(one.responses.all())
        assert each[one.pk].roles == scoring.by_role(one.responses.all())
    assert each[later.pk] != each[assessment.pk]


def test_the_score_counts_what_waits_for_confirmation(assessment):
    set_status(assessment, ["LER-01"], S.IN_PLACE, carried_over=True)
    set_status(assessment, ["LER-02"], S.IN_PROGRESS, carried_over=True)

    score = scoring.overall(assessment.responses.all())

    assert score.to_confirm == assessment.responses.to_confirm().count() == 2
    assert score.awaiting == 1


def test_each_section_and_role_scores_as_its_own_responses_would(assessment, school):
    """Sections and roles are summed over the items; each must equal the database's own score
    of its responses, weights, carried-over and not-applicable answers included."""
    set_status(assessment, ["LER-01", "LER-19"], S.IN_PLACE)
    set_status(assessment, ["LER-02"], S.IN_PLACE, carried_over=True)
    set_status(assessment, ["LER-14"], S.NOT_APPLICABLE)
    assessment.responses.filter(school=school, item__code="LER-16").update(status=S.IN_PLACE)
    responses = assessment.responses.all()

    found = scoring.breakdown(responses)

    assert found.sections[0].label == "Immediate action"
    for score in found.sections:
        expected = scoring.overall(responses.filter(item__section=score.key), label=score.label)
        assert score == replace(expected, key=score.key)
    for score in found.roles:
        expected = scoring.overall(responses.filter(item__roles=score.key), label=score.label)
        assert score == replace(expected, key=score.key)
    assert len(found.roles) == len(set(responses.values_list("item__roles", flat=True)))


def test_the_rules_applied_to_counts_by_status_agree_with_the_databases_filtered_sums(
    assessment, school
):
    """overall() and breakdown() count responses by status and apply the rules in Python;
    by_school() sums with the rules as filters in SQL. Every status, carried over or not."""
    rows = list(assessment.responses.for_school(school).order_by("pk"))
    combinations = [(status, carried) for status in S.values for carried in (False, True)]
    for response, (status, carried) in zip(rows, combinations * len(rows), strict=False):
        Response.objects.filter(pk=response.pk).update(status=status, carried_over=carried)
    responses = assessment.responses.for_school(school)

    (in_sql,) = scoring.by_school(responses)
    in_python = scoring.overall(responses, label=school.name)

    assert in_python == replace(in_sql, key=None)
    assert (in_python.awaiting, in_python.to_confirm) != (0, 0)
    assert scoring.combined(scoring.breakdown(responses).sections, label=school.name) == in_python
