from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from accounts.lockout import password_confirm
from accounts.models import Agency, AuditEvent, Invitation, Membership, Role, School, User
from accounts.once import OnceForm

INTEGER = re.compile(r"[+-]?\d+")  # as int() reads it, Unicode digits too


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, where an id too large for the column is an invalid choice, not a crash.

    Django's `pk__in` lookup, unlike `pk=`, sends such an id to the database: SQLite raises
    OverflowError on it.
    """

    def _check_values(self, value):
        pk_type = self.queryset.model._meta.pk.get_internal_type()
        low, high = connection.ops.integer_field_range(pk_type)
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk).strip()
            if INTEGER.fullmatch(text) and (len(text) > 21 or not low <= int(text) <= high):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


def show_character_counts(form: forms.BaseForm) -> None:
    """Each text box of `form` with a length limit says how much of it is used, "1,234 of 4,000
    characters", in its help text; static/js/muster.js keeps the count up as the person types."""
    for name, field in form.fields.items():
        limit = getattr(field, "max_length", None)
        if not limit or not isinstance(field.widget, forms.Textarea):
            continue
        bound = form[name]  # a bound field copies the help text when made: set both
        used = len(str(bound.value() or ""))
        count = format_html(
            '<span data-count-of="{}">{}</span> of {} characters',
            bound.auto_id,
            f"{used:,}",
            f"{limit:,}",
        )
        field.help_text = format_html("{} {}", field.help_text, count) if field.help_text else count
        bound.help_text = field.help_text


class SchoolForm(OnceForm, forms.ModelForm):
    class Meta:
        model = School
        fields = ["name", "district", "address", "is_active", "notes"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.agency = agency
        show_character_counts(self)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = self.instance.agency.schools.exclude(pk=self.instance.pk)
        if others.filter(name__iexact=name).exists():
            raise forms.ValidationError("The agency already has a school of this name.")
        return name


class _AccessFields(forms.ModelForm):
    """Access, roles and schools, as set on an invitation or a membership."""

    roles = ModelMultipleChoiceField(
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The functional roles this person holds; their checklist items follow from them.",
    )
    schools = ModelMultipleChoiceField(
        queryset=School.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For a school resource officer: the schools they serve.",
    )

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = agency.schools.all()
        self.fields["access"].help_text = (
            "Lead: runs assessments, manages people and signs off. Editor: records readiness. "
            "School resource officer: records the items of their schools. Viewer: reads everything, "
            "changes nothing. Public viewer (a council liaison, a school board): sees only the "
            "signed public summaries and their scores."
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("access") == Membership.Access.SRO and not cleaned.get("schools"):
            self.add_error("schools", "Choose the schools this school resource officer serves.")
        return cleaned


class InvitationForm(OnceForm, _AccessFields):
    class Meta:
        model = Invitation
        fields = ["email", "access", "roles", "schools"]


class MembershipForm(_AccessFields):
    class Meta:
        model = Membership
        fields = ["access", "roles", "schools"]


class AcceptInvitationForm(forms.Form):
    """The new account of an invited person who has none yet."""

    full_name = forms.CharField(max_length=150)
    job_title = forms.CharField(max_length=150, required=False)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            user = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AgencyForm(forms.ModelForm):
    """What a lead may change about their agency: how it is named and shown on reports."""

    class Meta:
        model = Agency
        fields = ["name", "jurisdiction", "state", "time_zone", "logo", "require_two_factor"]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > 2 * 1024 * 1024:
            raise forms.ValidationError("Choose an image under 2 MB.")
        return logo


class TwoFactorCodeForm(forms.Form):
    """The code that confirms a sign-in: from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The six-digit code your authenticator app shows now, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}
        ),
    )


class TwoFactorEnrolForm(forms.Form):
    """The first code from a newly set-up authenticator app."""

    code = forms.CharField(
        label="Six-digit code from your app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("Enter the six digits your app shows, for example 123456.")
        return code


class TwoFactorDisableForm(forms.Form):
    """Turning two-factor sign-in off takes the password and a current code."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="From your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )

    def __init__(self, *args, user: User, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request

    def clean_password(self) -> str:
        """Checked as at sign-off: counted toward the lockout, a wrong one audited."""
        password = self.cleaned_data["password"]
        try:
            password_confirm(
                self.request, user=self.user, password=password, act="turning off two-factor"
            )
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["password"]) from error
        return password


class AuditFilterForm(forms.Form):
    """Narrow an agency's audit log by what happened, who did it and when (dates inclusive)."""

    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEvent.Action.choices], required=False
    )
    person = forms.ChoiceField(required=False, help_text="Everyone who appears in the log.")
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = (
            AuditEvent.objects.filter(agency=agency)
            .exclude(actor_email="")
            .values_list("actor_email", flat=True)
            .order_by("actor_email")
            .distinct()
        )
        self.fields["person"].choices = [("", "Anyone"), *((email, email) for email in people)]

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "Choose a date on or after the start date.")
        return cleaned

    def filter(self, events):
        """The events that match; call only once the form is valid."""
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["person"]:
            events = events.filter(actor_email=data["person"])
        if data["since"]:
            events = events.filter(at__gte=_start_of(data["since"]))
        if data["until"]:
            events = events.filter(at__lt=_start_of(data["until"] + timedelta(days=1)))
        return events


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
