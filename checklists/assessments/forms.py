"""Forms of the assessment pages: starting one, editing a response, assigning, filtering."""

from __future__ import annotations

from copy import copy
from datetime import date
from decimal import Decimal
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.forms import ModelMultipleChoiceField, show_character_counts
from accounts.models import Agency, Role, User
from accounts.once import OnceForm
from checklists.assessments.evidence import evidence_check
from checklists.assessments.models import Assessment, PendingUpload, Response
from checklists.catalog.models import CatalogVersion, EvidencePrompt, Item


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LongSelect(forms.Select):
    """A select of many options (every school of a large agency, every member), written out in
    Python: Django's Select renders a template per option, which for 200 schools cost more than
    the rest of the checklist page. The same markup, escaped the same way."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{_escaped(option)}"{SELECTED if str(option) in chosen else ""}>'
            f"{_escaped(label)}</option>"
            for option, label in self.choices
        )
        attrs = self.build_attrs(self.attrs, attrs)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(attrs),
            mark_safe(options),  # noqa: S308 — each value and label escaped above
        )


SELECTED = " selected"


def _escaped(value) -> str:
    """conditional_escape without its lazy-text wrapper, which a long select calls per option."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


class _WrittenOut:
    """An input written out in Python, as Django's input.html writes it (attributes in
    flatatt's order): the checklist's toolbar has six, a template and its attributes' template
    each, on every page."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>', widget["type"], name, shown, flatatt(widget["attrs"])
        )


class ToolbarText(_WrittenOut, forms.TextInput):
    pass


class ToolbarCheckbox(_WrittenOut, forms.CheckboxInput):
    pass


class ToolbarDate(_WrittenOut, DateInput):
    pass


def compact(form: forms.Form) -> None:
    """Bootstrap's small controls, for forms laid out by hand in a toolbar."""
    for field in form.fields.values():
        widget = field.widget
        css = {"select": "form-select form-select-sm", "checkbox": "form-check-input"}.get(
            widget.input_type if hasattr(widget, "input_type") else "select",
            "form-control form-control-sm",
        )
        widget.attrs["class"] = css


def plain_choices(field: forms.ModelChoiceField, pairs) -> None:
    """The field's options as (pk, label) pairs read by the database, not model instances; the
    field still validates against its queryset."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.widget.choices = empty + list(pairs)


def _members(agency: Agency):
    return User.objects.filter(memberships__agency=agency).order_by("full_name")


def _member_options(agency: Agency) -> list[tuple[int, str]]:
    """The agency's people as (pk, label) pairs, labelled as User.__str__ does, read as plain
    values rather than model instances (a toolbar shows them on every checklist page)."""
    people = _members(agency).values_list("pk", "full_name", "email")
    return [(pk, name or email) for pk, name, email in people]


def _member_choices(field: forms.ModelChoiceField, agency: Agency, people=None) -> None:
    """The agency's people as the field's options: `people` when the page has read them."""
    field.queryset = _members(agency)
    plain_choices(field, _member_options(agency) if people is None else people)


TITLE_MAX_LENGTH = 100  # a title is a heading on every page and on the report's cover


class _AssessmentFields(forms.ModelForm):
    """Title and due date, as set when an assessment starts and when a lead edits it."""

    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        help_text=f"For example: 2026 annual assessment. At most {TITLE_MAX_LENGTH} characters.",
    )

    @property
    def due_date_passed(self) -> bool:
        """A due date already past is allowed (an assessment recorded late) but is warned of."""
        due = self.cleaned_data.get("due_date")
        return due is not None and due < timezone.localdate()


class AssessmentForm(OnceForm, _AssessmentFields):
    catalog_version = forms.ModelChoiceField(
        queryset=CatalogVersion.objects.none(), label="Catalog", empty_label=None
    )

    class Meta:
        model = Assessment
        fields = ["title", "catalog_version", "due_date"]
        widgets = {"due_date": DateInput()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        versions = CatalogVersion.objects.latest_of_each().select_related("catalog")
        self.fields["catalog_version"].queryset = versions
        self.fields["catalog_version"].label_from_instance = lambda v: (
            f"{v.title} — version {v.version}"
        )
        self.fields["title"].initial = f"{timezone.localdate().year} annual assessment"


class NextAssessmentForm(OnceForm, _AssessmentFields):
    class Meta:
        model = Assessment
        fields = ["title", "due_date"]
        widgets = {"due_date": DateInput()}


class AssessmentChangeForm(_AssessmentFields):
    """A lead's edit of an assessment's title and due date."""

    class Meta:
        model = Assessment
        fields = ["title", "due_date"]
        widgets = {"due_date": DateInput()}


def add_service_errors(form: forms.Form, error: forms.ValidationError, field_name=None) -> None:
    """A service's errors beside the form's fields where they name one, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        name = key if key in form.fields else field_name(key) if field_name else None
        form.add_error(name if name in form.fields else None, errors)


class YesNoField(forms.TypedChoiceField):
    """A yes/no answer that may also be left unanswered."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=[("", "Not answered"), ("yes", "Yes"), ("no", "No")],
            coerce=lambda value: value == "yes",
            empty_value=None,
            **kwargs,
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def prompt_field(prompt: EvidencePrompt) -> forms.Field:
    """The form field for one evidence prompt, with the catalog's bounds as validators.

    A required prompt is required for "In place" only, so the field itself is optional (the
    item's rules check it, `Response.rule_errors`) but says so in its label and to screen readers.
    """
    field = _prompt_field(prompt)
    if prompt.required:
        field.label = f"{prompt.label} (required)"
        field.help_text = " ".join(
            filter(None, [field.help_text, "Needed before the item can be marked in place."])
        )
        field.widget.attrs["aria-required"] = "true"
    return field


def _prompt_field(prompt: EvidencePrompt) -> forms.Field:
    common = {"label": prompt.label, "help_text": prompt.help_text, "required": False}
    kind = EvidencePrompt.Kind
    if prompt.kind == kind.DATE:
        field = forms.DateField(widget=DateInput(), **common)
        field.validators.append(_date_bounds(prompt))
        return field
    if prompt.kind == kind.NUMBER:
        if prompt.unit:
            common["help_text"] = f"{prompt.help_text} (in {prompt.unit})".strip()
        field = forms.DecimalField(
            min_value=prompt.min_number,
            max_value=prompt.max_number,
            max_digits=14,
            decimal_places=2,
            **common,
        )
        if prompt.whole:
            field.widget.attrs["step"] = "1"
        return field
    if prompt.kind == kind.BOOLEAN:
        return YesNoField(**common)
    if prompt.kind == kind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "Not answered"), *[(c, c) for c in prompt.choices]], **common
        )
    if prompt.kind == kind.FILE:
        return forms.FileField(validators=[evidence_check], **common)
    return forms.CharField(max_length=prompt.max_length or 2000, **common)


def _date_bounds(prompt: EvidencePrompt):
    def check(value: date) -> None:
        if prompt.not_after_today and value > timezone.localdate():
            raise forms.ValidationError("This date cannot be in the future.")
        if prompt.min_date and value < prompt.min_date:
            raise forms.ValidationError(f"Give a date on or after {prompt.min_date:%B %-d, %Y}.")
        if prompt.max_date and value > prompt.max_date:
            raise forms.ValidationError(f"Give a date on or before {prompt.max_date:%B %-d, %Y}.")

    return check


def to_json(value):
    """An answer as stored in Response.answers."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # As written, without trailing zeros: "100", "1.5"; never the exponent form (1E+2).
        return format(value.normalize(), "f") if value else "0"
    return value


def from_json(prompt: EvidencePrompt, value):
    if value is None:
        return None
    if prompt.kind == EvidencePrompt.Kind.BOOLEAN:
        return "yes" if value else "no"
    return value


class FocusChosenRadioSelect(forms.RadioSelect):
    """Radio buttons where the chosen one takes the keyboard focus when the form opens in place
    (htmx honours autofocus), so arrow keys move on from the current status."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if selected:
            option["attrs"]["autofocus"] = True
        return option


class ResponseForm(forms.Form):
    """One response: status, evidence answers (one field per prompt), notes, owner, target date."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=Response.Status.choices, widget=FocusChosenRadioSelect)
    justification = forms.CharField(
        label="Why it does not apply",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Response._meta.get_field("justification").max_length,
        help_text="Needed when the status is Not applicable.",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=Response._meta.get_field("notes").max_length,
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet"
    )
    target_date = forms.DateField(required=False, widget=DateInput())
    confirm = forms.BooleanField(
        required=False,
        label="I confirm this is still true for this assessment",
        help_text="Carried over from the previous assessment: it counts again once confirmed.",
    )
    documents = MultipleFileField(
        label="Supporting documents",
        required=False,
        validators=[evidence_check],
        help_text="Written procedures, plans, rosters: PDF, image or office documents.",
    )

    def __init__(
        self,
        *args,
        response: Response,
        user: User | None = None,
        computed: dict | None = None,
        **kwargs,
    ) -> None:
        self.response = response
        self.prompts = list(response.item.prompts.all())
        # Answers computed from records (checklists.assessments.extensions) are shown, not typed.
        self.computed = {
            key: answer
            for (code, key), answer in (computed or {}).items()
            if code == response.item.code
        }
        initial = {
            "version": response.version,
            "status": response.status,
            "justification": response.justification,
            "notes": response.notes,
            "owner": response.owner_id,
            "target_date": response.target_date,
        }
        for prompt in self.prompts:
            initial[self.answer_name(prompt)] = from_json(prompt, response.answers.get(prompt.key))
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["owner"].queryset = _members(response.assessment.agency)
        for prompt in self.prompts:
            self.fields[self.answer_name(prompt)] = field = prompt_field(prompt)
            if answer := self.computed.get(prompt.key):
                field.disabled = True
                field.help_text = f"{answer.note}."
                self.initial[self.answer_name(prompt)] = from_json(prompt, answer.value)
        if not response.carried_over:
            del self.fields["confirm"]
        chosen = self.data.getlist("pending") if self.is_bound and user else []
        self.pending_uploads = list(
            PendingUpload.objects.filter(
                response=response, uploaded_by=user, pk__in=[p for p in chosen if p.isdigit()]
            )
        )
        show_character_counts(self)

    @staticmethod
    def answer_name(prompt: EvidencePrompt) -> str:
        return f"answer_{prompt.key}"

    def answer_fields(self):
        return [self[self.answer_name(p)] for p in self.prompts]

    def clean(self) -> dict:
        """The item's rules too, so that every problem shows at once, each beside its field."""
        data = super().clean()
        draft = copy(self.response)
        draft.status = data.get("status", draft.status)
        draft.justification = data.get("justification", "")
        draft.answers = {k: v for k, v in self._answers().items() if v not in (None, "")}
        keys = {key for key, _ in self.uploads()} | {p.prompt_key for p in self.pending_uploads}
        for key, message in draft.rule_errors(pending_keys=keys).items():
            name = key if key in self.fields else f"answer_{key}"
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return data

    def _answers(self) -> dict:
        data = self.cleaned_data
        return {
            p.key: to_json(data.get(self.answer_name(p)))
            for p in self.prompts
            if p.kind != EvidencePrompt.Kind.FILE
        }

    def uploads(self) -> list[tuple[str, object]]:
        """The files chosen in this form that passed their checks: (prompt key, file)."""
        data = getattr(self, "cleaned_data", {})
        files = [
            (p.key, data[self.answer_name(p)])
            for p in self.prompts
            if p.kind == EvidencePrompt.Kind.FILE and data.get(self.answer_name(p))
        ]
        return files + [("", upload) for upload in data.get("documents") or []]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        answers, files = self._answers(), self.uploads()
        return {
            "expected_version": data["version"],
            "status": data["status"],
            "notes": data["notes"],
            "justification": data["justification"],
            "answers": answers,
            "owner": data["owner"],
            "target_date": data["target_date"],
            "confirm": data.get("confirm", False),
            "files": files,
            "pending": self.pending_uploads,
        }

    def add_service_errors(self, error: forms.ValidationError) -> None:
        """Put the service's errors beside their fields (prompt keys map to answer fields)."""
        add_service_errors(self, error, field_name=lambda key: f"answer_{key}")


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Review comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The item's owner sees it on the item and the checklist until it is resolved.",
    )


class AssignForm(forms.Form):
    """Bulk assignment; prefixed, so its fields never share an id with the checklist filters."""

    prefix = "assign"
    responses = ModelMultipleChoiceField(queryset=Response.objects.none(), label="Items")
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Assign to", widget=LongSelect
    )
    target_date = forms.DateField(required=False, widget=ToolbarDate())

    def __init__(self, *args, assessment: Assessment, people=None, **kwargs) -> None:
        """`people`: the agency's _member_options(), when the page has them already."""
        super().__init__(*args, **kwargs)
        self.fields["responses"].queryset = assessment.responses.all()
        self.fields["owner"].empty_label = "Choose a person"
        _member_choices(self.fields["owner"], assessment.agency, people)
        compact(self)


class ConfirmForm(forms.Form):
    """Bulk confirmation of carried-over items; it reads the assign form's ticked items."""

    prefix = "assign"
    responses = ModelMultipleChoiceField(queryset=Response.objects.none(), label="Items")

    def __init__(self, *args, responses, **kwargs) -> None:
        """`responses`: those this person may confirm (an SRO's schools' only)."""
        super().__init__(*args, **kwargs)
        self.fields["responses"].queryset = responses


class ChecklistFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, widget=ToolbarText)
    # Every select of the toolbar written out in Python (LongSelect): a template per option
    # for the roles and statuses cost the checklist page a tenth of its time.
    role = forms.ModelChoiceField(
        queryset=Role.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All roles",
        widget=LongSelect,
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Response.Status.choices], required=False, widget=LongSelect
    )
    school = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All schools and agency-wide", widget=LongSelect
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone", widget=LongSelect
    )
    overdue = forms.BooleanField(required=False, label="Overdue only", widget=ToolbarCheckbox)
    to_confirm = forms.BooleanField(required=False, label="To confirm", widget=ToolbarCheckbox)
    mine = forms.BooleanField(required=False, label="Assigned to me", widget=ToolbarCheckbox)
    my_roles = forms.BooleanField(required=False, label="My roles", widget=ToolbarCheckbox)

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = agency.schools.all()
        self.people = _member_options(agency)
        _member_choices(self.fields["owner"], agency, self.people)
        # The options from the names alone: a large agency's 200 schools as model instances
        # cost more than the rest of the checklist's rows.
        plain_choices(self.fields["school"], agency.schools.values_list("pk", "name"))
        plain_choices(self.fields["role"], Role.objects.values_list("slug", "name"))
        self.fields["q"].widget.attrs["placeholder"] = "Code or title"
        compact(self)

    def filter(self, responses, *, user, membership):
        if not self.is_valid():
            return responses
        data = self.cleaned_data
        if data["q"]:
            responses = responses.filter(item__in=Item.objects.search(data["q"]))
        if data["role"]:
            responses = responses.filter(item__in=Item.objects.filter(roles=data["role"]))
        if data["status"]:
            responses = responses.filter(status=data["status"])
        if data["school"]:
            responses = responses.for_school(data["school"])
        if data["owner"]:
            responses = responses.assigned_to(data["owner"])
        if data["overdue"]:
            responses = responses.overdue()
        if data["to_confirm"]:
            responses = responses.to_confirm()
        if data["mine"]:
            responses = responses.assigned_to(user)
        if data["my_roles"]:
            responses = responses.filter(
                item__in=Item.objects.filter(roles__in=membership.role_ids)
            )
        return responses
