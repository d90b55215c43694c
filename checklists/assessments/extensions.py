"""Where apps above checklists plug in, so that checklists never imports them.

An app registers its providers from its `AppConfig.ready()` (training does): answers to evidence
prompts computed from its records, a panel on the dashboard, on an item's page and on the review
page, a section of the snapshot that a sign-off freezes, and a kind of signed document of its own
that the verify page recognises. With nothing registered, the checklist works as before: people
type answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from accounts.models import Agency


@dataclass(frozen=True)
class ComputedAnswer:
    """An evidence answer computed from records, as stored in `Response.answers`."""

    value: str | int | None
    as_of: date
    source: str

    @property
    def note(self) -> str:
        return f"From {self.source}, as of {self.as_of:%B %-d, %Y}"


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict


@dataclass(frozen=True)
class Flag:
    """A short notice on a checklist row (in words, never colour alone), linking to its detail."""

    text: str
    url: str


# provider(agency, *, today) -> {(item code, prompt key): ComputedAnswer}
AnswersProvider = Callable[..., dict[tuple[str, str], ComputedAnswer]]
_answer_providers: list[AnswersProvider] = []
_panel_providers: list[Callable[[Agency], Panel | None]] = []
# provider(agency, item code) -> a panel on the item's page, or None
_item_panel_providers: list[Callable[[Agency, str], Panel | None]] = []
# provider(response) -> {field: message} for a response that must not be saved as it is
_response_checks: list[Callable[..., dict[str, str]]] = []
# name -> provider(agency, *, today) -> (full section, public section) or None
_snapshot_providers: dict[str, Callable[..., tuple[dict, dict] | None]] = {}
# provider(agency, responses) -> {response pk: [Flag]} for one page of checklist rows, in a
# fixed number of queries whatever the number of rows
_row_flag_providers: list[Callable[..., dict[int, list[Flag]]]] = []
# provider(agency, school ids) -> {school pk: [Flag]}: lines on the "My schools" cards, in a
# fixed number of queries whatever the number of schools
_school_line_providers: list[Callable[..., dict[int, list[Flag]]]] = []
# provider(assessment) -> a panel on the assessment's review page, or None
_review_panel_providers: list[Callable[..., Panel | None]] = []


@dataclass(frozen=True)
class SignedDocument:
    """A kind of signed PDF an app above checklists issues with the report's machinery (its
    snapshot embedded as muster-snapshot.json, signed with the deployment's key), which the
    verify page then recognises by the snapshot's "format".

    `match(sha256)` returns the record whose snapshot has that fingerprint, or None;
    `describe(record)` says in one line what it is, whose, and who signed it when."""

    format: str
    label: str  # what the document is called: "after-action report"
    match: Callable[[str], object | None]
    describe: Callable[[object], str]
    # Queues again the renders the task worker lost; returns them (`manage.py recover_reports`).
    recover: Callable[[], list] | None = None


_signed_documents: dict[str, SignedDocument] = {}


def register_computed_answers(provider: AnswersProvider) -> None:
    if provider not in _answer_providers:
        _answer_providers.append(provider)


def register_dashboard_panel(provider: Callable[[Agency], Panel | None]) -> None:
    if provider not in _panel_providers:
        _panel_providers.append(provider)


def register_item_panel(provider: Callable[[Agency, str], Panel | None]) -> None:
    if provider not in _item_panel_providers:
        _item_panel_providers.append(provider)


def register_response_check(provider: Callable[..., dict[str, str]]) -> None:
    if provider not in _response_checks:
        _response_checks.append(provider)


def response_problems(response) -> dict[str, str]:
    """What the registered checks find wrong with a response about to be saved."""
    problems = {}
    for provider in _response_checks:
        problems |= provider(response)
    return problems


def register_snapshot_section(name: str, provider: Callable[..., tuple[dict, dict] | None]):
    _snapshot_providers[name] = provider


def register_row_flags(provider: Callable[..., dict[int, list[Flag]]]) -> None:
    if provider not in _row_flag_providers:
        _row_flag_providers.append(provider)


def row_flags(agency: Agency, responses) -> dict[int, list[Flag]]:
    """Every registered flag of these checklist rows, by response pk (rows without any absent)."""
    responses = list(responses)
    flags: dict[int, list[Flag]] = {}
    for provider in _row_flag_providers if responses else ():
        for pk, found in provider(agency, responses).items():
            flags.setdefault(pk, []).extend(found)
    return flags


def register_school_lines(provider: Callable[..., dict[int, list[Flag]]]) -> None:
    if provider not in _school_line_providers:
        _school_line_providers.append(provider)


def school_lines(agency: Agency, school_ids: list[int]) -> dict[int, list[Flag]]:
    """Every registered line of these schools' cards, by school pk (schools without any absent)."""
    lines: dict[int, list[Flag]] = {}
    for provider in _school_line_providers if school_ids else ():
        for pk, found in provider(agency, school_ids).items():
            lines.setdefault(pk, []).extend(found)
    return lines


def register_review_panel(provider: Callable[..., Panel | None]) -> None:
    if provider not in _review_panel_providers:
        _review_panel_providers.append(provider)


def register_signed_document(document: SignedDocument) -> None:
    _signed_documents[document.format] = document


def signed_documents() -> list[SignedDocument]:
    return list(_signed_documents.values())


def signed_document(snapshot_format: str) -> SignedDocument | None:
    """The registered kind of signed document whose snapshots have this format, if any."""
    return _signed_documents.get(snapshot_format)


def computed_answers(
    agency: Agency, *, today: date | None = None, item_code: str | None = None
) -> dict[tuple[str, str], ComputedAnswer]:
    """Every computed answer for the agency (or for one item's prompts)."""
    today = today or timezone.localdate()
    answers = {}
    for provider in _answer_providers:
        answers |= provider(agency, today=today, item_code=item_code)
    return answers


def dashboard_panels(agency: Agency) -> list[Panel]:
    return [panel for provider in _panel_providers if (panel := provider(agency))]


def item_panels(agency: Agency, item_code: str) -> list[Panel]:
    return [panel for provider in _item_panel_providers if (panel := provider(agency, item_code))]


def review_panels(assessment) -> list[Panel]:
    return [panel for provider in _review_panel_providers if (panel := provider(assessment))]


def snapshot_sections(agency: Agency, *, today: date) -> dict[str, tuple[dict, dict]]:
    sections = {}
    for name, provider in _snapshot_providers.items():
        if (section := provider(agency, today=today)) is not None:
            sections[name] = section
    return sections
