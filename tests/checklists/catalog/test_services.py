"""Loading catalogs: all or nothing, idempotent, and never rewriting a loaded version.

Every test starts with the shipped catalog loaded (tests/conftest.py): these load a second,
small catalog beside it, or delete it first where what is tested is a first load.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from checklists.catalog.services import catalog_load
from checklists.models import Catalog, CatalogVersion, EvidencePrompt, Figure, Item
from tests.helpers import MINIMAL, SHIPPED_CATALOG, catalog_row_counts


@pytest.fixture
def catalog_file(db, tmp_path):
    path = tmp_path / "test.yaml"
    path.write_text(MINIMAL)
    return path


@pytest.fixture
def no_catalog(db) -> None:
    """No catalog loaded yet: the session's one deleted (the test's transaction restores it)."""
    Figure.objects.all().delete()  # a figure's source is protected
    CatalogVersion.objects.all().delete()
    Catalog.objects.all().delete()


def test_shipped_catalog_loads_items_prompts_roles_sources_and_figures(catalog_version):
    items = catalog_version.items.all()

    assert items.count() == 26
    assert catalog_version.sections.count() == 7
    assert items.filter(scope=Item.Scope.SCHOOL).exists()
    assert not items.filter(roles=None).exists()
    assert not items.filter(sources=None).exists()
    assert not items.filter(prompts=None).exists()
    assert Role.objects.filter(slug="school-resource-officer").exists()
    prompt = EvidencePrompt.objects.get(item__code="LER-02", key="officers_trained")
    assert (prompt.kind, prompt.min_number, prompt.unit) == ("number", 0, "officers")
    assert catalog_version.figures.count() == 3


def test_the_loader_keeps_whole_counts_and_their_relations(catalog_version):
    prompts = EvidencePrompt.objects.filter(item__catalog_version=catalog_version)

    trained = prompts.get(item__code="LER-02", key="officers_trained")
    assert (trained.whole, trained.max_of) == (True, "sworn_total")
    assert not prompts.get(item__code="LER-06", key="hours_per_officer").whole


def test_loading_the_same_file_twice_changes_nothing(catalog_file):
    first = catalog_load(path=catalog_file)
    counts = catalog_row_counts()

    second = catalog_load(path=catalog_file)

    assert first.created
    assert not second.created
    assert second.version == first.version
    assert catalog_row_counts() == counts


def test_changed_file_becomes_a_new_version_and_leaves_the_old_one_as_it_was(catalog_file):
    catalogs = Catalog.objects.count()
    old = catalog_load(path=catalog_file).version
    catalog_file.write_text(MINIMAL.replace("Write the policy", "Adopt the policy"))

    new = catalog_load(path=catalog_file).version

    assert (old.number, new.number) == (1, 2)
    assert old.items.get().title == "Write the policy"
    assert new.items.get().title == "Adopt the policy"
    assert new.catalog == old.catalog
    assert Catalog.objects.count() == catalogs + 1


def test_bad_file_changes_nothing(catalog_file, catalog_version):
    counts = catalog_row_counts()
    catalog_file.write_text(MINIMAL.replace("roles: [patrol]", "roles: [sergeant]"))

    with pytest.raises(CommandError):
        call_command("load_catalog", str(catalog_file), stderr=StringIO())

    assert catalog_row_counts() == counts


def test_command_prints_file_line_and_field_of_each_problem(catalog_file):
    catalog_file.write_text(MINIMAL.replace("kind: number", "kind: colour"))
    stderr = StringIO()

    with pytest.raises(CommandError):
        call_command("load_catalog", str(catalog_file), stderr=stderr)

    assert (
        f"{catalog_file}:26: sections[0].items[0].prompts[0].kind (item TST-01):"
        in stderr.getvalue()
    )


def test_command_without_paths_loads_every_shipped_catalog(no_catalog):
    stdout = StringIO()

    call_command("load_catalog", stdout=stdout)
    call_command("load_catalog", stdout=stdout)

    assert (
        "loaded as rand-law-enforcement-response version 2022.1 (#1), 26 items" in stdout.getvalue()
    )
    assert "unchanged: rand-law-enforcement-response" in stdout.getvalue()


def test_role_names_follow_the_newest_catalog(catalog_file):
    catalog_load(path=catalog_file)
    catalog_file.write_text(MINIMAL.replace("name: Patrol", "name: Patrol officers"))

    catalog_load(path=catalog_file)

    assert Role.objects.get(slug="patrol").name == "Patrol officers"


def test_shipped_file_is_the_one_in_the_catalog_directory():
    assert SHIPPED_CATALOG.exists()
