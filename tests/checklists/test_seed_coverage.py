"""Every recommendation and figure of the RAND seed page is in the shipped catalog."""

from __future__ import annotations

import pytest

from checklists.models import Item
from tests.checklists.seed_recommendations import SEED_RECOMMENDATIONS


@pytest.mark.parametrize(("recommendation", "codes"), SEED_RECOMMENDATIONS.items())
def test_seed_recommendation_has_items(catalog_version, recommendation, codes):
    assert codes, f"No item covers: {recommendation}"
    found = set(catalog_version.items.filter(code__in=codes).values_list("code", flat=True))
    assert found == set(codes), f"Missing items for {recommendation!r}: {set(codes) - found}"


def test_every_item_traces_back_to_a_seed_recommendation(catalog_version):
    traced = {code for codes in SEED_RECOMMENDATIONS.values() for code in codes}

    assert set(catalog_version.items.values_list("code", flat=True)) <= traced


def test_school_and_sro_items_are_per_school(catalog_version):
    sro_items = catalog_version.items.filter(roles__slug="school-resource-officer")

    assert sro_items.exists()
    assert set(sro_items.values_list("scope", flat=True)) == {Item.Scope.SCHOOL}


def figure(version, key: str) -> dict[str, int]:
    return dict(version.figures.get(key=key).values.values_list("label", "value"))


def test_seed_figures_are_data(catalog_version):
    assert sorted(figure(catalog_version, "subject-outcome").values()) == [7, 46, 72, 139]
    assert sorted(figure(catalog_version, "subject-apprehension").values()) == [65, 106]
    assert list(figure(catalog_version, "officer-deaths").values()) == [5, 5]
    assert catalog_version.figures.get(key="officer-deaths").period == "1995–2020"


def test_cited_works_have_full_citations(catalog_version):
    citations = " ".join(catalog_version.sources.values_list("citation", flat=True))
    dois = set(catalog_version.sources.exclude(doi="").values_list("doi", flat=True))

    assert "Reasonableness and Reaction Time" in citations
    assert "A scientific examination of the 21-foot rule" in citations
    assert dois == {"10.1177/1098611111423737", "10.1080/15614263.2020.1772785"}
