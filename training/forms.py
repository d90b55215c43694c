"""Forms of the training pages; each model form leaves its agency to the view."""

from __future__ import annotations

import re
from itertools import groupby

from django import forms
from django.forms.models import construct_instance
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.forms import ModelMultipleChoiceField
from accounts.models import Agency, Role, School, User
from checklists.assessments.forms import DateInput, LongSelect, compact
from training.currency import Status
from training.models import Completion, Course, Import, Person, Requirement, Session


class PersonForm(forms.ModelForm):
    roles = ModelMultipleChoiceField(
        queryset=Role.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Person
        fields = ["full_name", "employee_number", "rank", "unit", "sworn", "status",
                  "hired_on", "separated_on", "roles", "user"]  # fmt: skip
        widgets = {"hired_on": DateInput(), "separated_on": DateInput()}
        labels = {"user": "Muster account"}

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only a member of this agency can be linked: never another agency's account.
        self.fields["user"].queryset = User.objects.filter(memberships__agency=agency)
        self.fields["user"].empty_label = "No account"


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["name", "code", "provider", "hours", "valid_months", "description"]


def _courses(agency: Agency):
    return Course.objects.available_to(agency)


class RequirementForm(forms.ModelForm):
    courses = ModelMultipleChoiceField(
        queryset=Course.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Requirement
        fields = ["name", "sworn_only", "unit", "role", "measure", "courses", "hours",
                  "window_months", "order"]  # fmt: skip

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = _courses(agency)


class RosterSelect(forms.SelectMultiple):
    """The roster as one labelled checkbox a person, grouped by unit: usable with the keyboard
    and without JavaScript (muster.js adds a filter by name or number, and by unit). Written out in
    Python from `people`, as an agency has a thousand: Django renders a template per option."""

    people: list[tuple] = []  # (pk, full name, employee number, rank, unit), by unit

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = {str(v) for v in self.format_value(value)}
        base = self.build_attrs(self.attrs, attrs).get("id") or f"id_{name}"
        groups = []
        for unit, people in groupby(self.people, key=lambda p: p[4]):
            boxes = format_html_join("", ROSTER_PERSON, (
                (f"{full_name} {number}".casefold(), name, pk, base, pk,
                 CHECKED if str(pk) in chosen else "", base, pk, full_name,
                 " · ".join(filter(None, (number, rank))))
                for pk, full_name, number, rank, _ in people
            ))  # fmt: skip
            groups.append(format_html(ROSTER_UNIT, unit, unit or "No unit", boxes))
        return format_html(
            '<div class="roster-list border rounded px-2" id="{}" data-roster>{}</div>',
            base, mark_safe("".join(groups)),  # noqa: S308 — each group escaped by format_html
        )  # fmt: skip


CHECKED = mark_safe(" checked")
ROSTER_UNIT = (
    '<fieldset data-roster-unit="{}"><legend class="h6 mt-2 mb-1">{}</legend>{}</fieldset>'
)
ROSTER_PERSON = (
    '<div class="form-check" data-roster-person="{}"><input class="form-check-input" '
    'type="checkbox" name="{}" value="{}" id="{}_{}"{}><label class="form-check-label" '
    'for="{}_{}">{} <span class="small text-body-secondary">{}</span></label></div>'
)


class SessionForm(forms.ModelForm):
    attendees = ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=RosterSelect,
        help_text="Everyone ticked gets a completion.",
    )
    attendee_numbers = forms.CharField(
        label="Or paste employee numbers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, or separated by commas or spaces, such as a class list: "
        "added to the people ticked.",
    )

    class Meta:
        model = Session
        fields = ["course", "starts_on", "ends_on", "hours", "instructor", "location", "school",
                  "partner", "community_attendees"]  # fmt: skip
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = _courses(agency)
        self.fields["school"].queryset = School.objects.filter(agency=agency)
        roster = Person.objects.of(agency).active()
        self.fields["attendees"].queryset = roster
        self.fields["attendees"].widget.people = list(
            roster.order_by("unit", "full_name", "employee_number").values_list(
                "pk", "full_name", "employee_number", "rank", "unit"
            )
        )
        self.units = sorted({p[4] for p in self.fields["attendees"].widget.people})
        self.roster = roster
        self.fields["community_attendees"].required = False

    def clean_community_attendees(self) -> int:
        return self.cleaned_data.get("community_attendees") or 0

    def clean(self):
        data = super().clean()
        numbers = set(re.split(r"[\s,;]+", data.get("attendee_numbers", "").strip())) - {""}
        found = list(self.roster.filter(employee_number__in=numbers))
        unknown = sorted(numbers - {p.employee_number for p in found})
        if unknown:
            self.add_error("attendee_numbers", "No active person has the employee number "
                           f"{', '.join(unknown)}.")  # fmt: skip
        attendees = {p.pk: p for p in [*data.get("attendees", []), *found]}
        if not attendees and "attendees" not in self.errors and not unknown:
            self.add_error("attendees", "Tick at least one attendee, or paste their numbers.")
        data["attendees"] = list(attendees.values())
        return data


class CompletionForm(forms.ModelForm):
    person = forms.ModelChoiceField(queryset=Person.objects.none())
    hours = forms.DecimalField(
        required=False, min_value=0, max_digits=6, decimal_places=2,
        help_text="Leave empty for the course's hours.",
    )  # fmt: skip
    certificate = forms.FileField(
        required=False, help_text="PDF, image or office document, checked by its content."
    )

    class Meta:
        model = Completion
        fields = ["person", "course", "completed_on", "hours", "provider"]
        widgets = {"completed_on": DateInput()}

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = _courses(agency)
        self.fields["person"].queryset = Person.objects.of(agency)

    def _post_clean(self) -> None:
        # Only fill the instance: the service checks it, once the hours default to the course's.
        construct_instance(self, self.instance, self._meta.fields)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=Import.Kind.choices, label="What the file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV, up to 5 MB.")


SORTS = {
    "name": ("full_name", "employee_number"),
    "-name": ("-full_name", "-employee_number"),
    "number": ("employee_number",),
    "-number": ("-employee_number",),
    "unit": ("unit", "full_name"),
    "-unit": ("-unit", "full_name"),
}


class MatrixFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    unit = forms.ChoiceField(required=False, choices=[])
    requirement = forms.ModelChoiceField(
        queryset=Requirement.objects.none(), required=False, empty_label="Any requirement"
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices[:4]])
    sort = forms.ChoiceField(
        required=False,
        choices=[("name", "Name"), ("-name", "Name, Z to A"), ("number", "Employee ID"),
                 ("-number", "Employee ID, descending"), ("unit", "Unit"), ("-unit", "Unit, Z to A")],
    )  # fmt: skip
    separated = forms.BooleanField(required=False, label="Include separated")

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        units = Person.objects.of(agency).exclude(unit="").order_by("unit")
        self.fields["unit"].choices = [("", "All units")] + [
            (u, u) for u in units.values_list("unit", flat=True).distinct()
        ]
        self.fields["requirement"].queryset = Requirement.objects.filter(agency=agency)
        self.fields["q"].widget.attrs["placeholder"] = "Name or employee ID"
        for name in ("unit", "requirement", "status", "sort"):
            field = self.fields[name]
            field.widget = LongSelect(choices=field.widget.choices)
        compact(self)

    def clean(self):
        data = super().clean()
        if data.get("status") and not data.get("requirement"):
            self.add_error("requirement", "Choose the requirement whose status to filter by.")
        return data
