"""Forms of the exercise pages; each model form leaves its agency and exercise to the view."""

from __future__ import annotations

from django import forms

from accounts.forms import ModelMultipleChoiceField
from accounts.models import Agency, Membership, School
from checklists.assessments.forms import DateInput, LongSelect, compact, plain_choices
from checklists.catalog.models import Item
from exercises.models import (
    CorrectiveAction,
    Exercise,
    Observation,
    Organization,
    Review,
)
from training.models import Course, Person


def _items(version) -> forms.QuerySet:
    return Item.objects.filter(catalog_version=version).order_by("section__order", "order")


class ExerciseForm(forms.ModelForm):
    objectives = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One objective a line; after a “|”, the core capability it tests, such as "
        "“Contain the threat within 5 minutes | On-scene Security, Protection, and Law "
        "Enforcement”.",
    )
    organizations = ModelMultipleChoiceField(
        queryset=Organization.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Participating organizations",
    )  # fmt: skip
    items = ModelMultipleChoiceField(
        queryset=Item.objects.none(), required=False, label="Checklist items exercised",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )  # fmt: skip
    attendees = ModelMultipleChoiceField(
        queryset=Person.objects.none(), required=False, label="Attendance",
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="From the roster. With a course, each attendee gets its training completion.",
    )  # fmt: skip

    class Meta:
        model = Exercise
        fields = ["title", "kind", "mission_area", "starts_on", "ends_on", "scenario", "school",
                  "site", "organizations", "items", "course", "hours", "attendees",
                  "contacts"]  # fmt: skip
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(),
                   "contacts": forms.Textarea(attrs={"rows": 2}),
                   "scenario": forms.Textarea(attrs={"rows": 3})}  # fmt: skip

    def __init__(self, *args, agency: Agency, membership: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        schools = School.objects.filter(agency=agency).for_member(membership)
        self.fields["school"].queryset = schools
        if membership.access == Membership.Access.SRO:
            self.fields["school"].required = True
            self.fields["school"].help_text = "One of the schools you serve."
        self.fields["organizations"].queryset = Organization.objects.filter(agency=agency)
        self.fields["items"].queryset = _items(self.instance.catalog_version)
        self.fields["course"].queryset = Course.objects.available_to(agency)
        self.fields["attendees"].queryset = Person.objects.of(agency).active()
        if self.instance.pk:
            self.initial["objectives"] = "\n".join(
                " | ".join(filter(None, (o.text, o.capability)))
                for o in self.instance.objectives.all()
            )

    def clean_objectives(self) -> list[tuple[str, str]]:
        """(text, capability) of each line, the first of any text given twice."""
        found: dict[str, str] = {}
        for line in self.cleaned_data["objectives"].splitlines():
            text, _, capability = (part.strip() for part in line.partition("|"))
            if text:
                found.setdefault(text, capability)
        if any(len(text) > 300 for text in found):
            raise forms.ValidationError("Keep each objective under 300 characters.")
        if any(len(capability) > 200 for capability in found.values()):
            raise forms.ValidationError("Keep each capability under 200 characters.")
        return list(found.items())


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "kind"]


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["evaluator", "reviewed_on", "summary"]
        widgets = {"reviewed_on": DateInput(), "summary": forms.Textarea(attrs={"rows": 3})}


class AttachmentForm(forms.Form):
    file = forms.FileField(help_text="A sign-in sheet, a photo or the external report.")


class ObservationForm(forms.ModelForm):
    class Meta:
        model = Observation
        fields = ["objective", "kind", "text", "analysis"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2}),
                   "analysis": forms.Textarea(attrs={"rows": 2})}  # fmt: skip

    def __init__(self, *args, exercise: Exercise, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = exercise.objectives.all()


class ActionForm(forms.ModelForm):
    items = ModelMultipleChoiceField(
        queryset=Item.objects.none(), required=False, label="Checklist items",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )  # fmt: skip
    schools = ModelMultipleChoiceField(
        queryset=School.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CorrectiveAction
        fields = ["observation", "description", "items", "schools", "owner", "organization",
                  "starts_on", "due_on"]  # fmt: skip
        widgets = {"starts_on": DateInput(), "due_on": DateInput(),
                   "description": forms.Textarea(attrs={"rows": 3})}  # fmt: skip

    def __init__(self, *args, exercise: Exercise, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agency = exercise.agency
        self.fields["observation"].queryset = Observation.objects.filter(
            objective__exercise=exercise, kind=Observation.Kind.IMPROVEMENT
        )
        self.fields["items"].queryset = _items(exercise.catalog_version)
        self.fields["schools"].queryset = School.objects.filter(agency=agency)
        self.fields["owner"].queryset = Person.objects.of(agency).active()
        self.fields["organization"].queryset = Organization.objects.filter(agency=agency)


class AdvanceForm(forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in CorrectiveAction.Status.choices if c[0] != "open"],
        label="Mark as",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    evidence = forms.FileField(required=False, help_text="Optional proof, checked like evidence.")


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), ("unresolved", "Open or in progress"),
                 *CorrectiveAction.Status.choices], required=False,
    )  # fmt: skip
    owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, empty_label="Anyone", widget=LongSelect
    )
    item = forms.CharField(required=False, label="Item code", max_length=20)
    school = forms.ModelChoiceField(
        queryset=School.objects.none(), required=False, empty_label="Any school",
        widget=LongSelect,
    )  # fmt: skip
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owners = Person.objects.of(agency).filter(corrective_actions__isnull=False).distinct()
        schools = School.objects.filter(agency=agency)
        self.fields["owner"].queryset, self.fields["school"].queryset = owners, schools
        # The options from the names alone, written out in Python: a large agency's 200
        # schools and hundreds of owners as model instances and option templates cost more
        # than the plan's rows.
        plain_choices(
            self.fields["owner"], owners.order_by("full_name").values_list("pk", "full_name")
        )
        plain_choices(self.fields["school"], schools.order_by("name").values_list("pk", "name"))
        compact(self)
