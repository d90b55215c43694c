from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from accounts.once import OnceForm


class SignOffForm(forms.Form):
    typed_name = forms.CharField(label="Your full name", max_length=150)
    typed_title = forms.CharField(
        label="Your title", max_length=150, help_text="For example: Chief of Police"
    )
    attest = forms.BooleanField(label="I attest to the statement above")
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing off is yours alone: confirm it with your password.",
    )


class ReopenForm(OnceForm):
    reason = forms.CharField(
        label="Why reopen it?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown beside the new revision wherever revisions are listed, and kept in the "
        "audit log. For example: a school was added after the sign-off.",
    )
    confirm = forms.BooleanField(
        label="I understand: the signed revision and its reports stay as they are, and the "
        "new revision must be signed off again",
    )


class VerifyForm(forms.Form):
    file = forms.FileField(
        label="Report (PDF)", help_text="The signed PDF you received. It is checked, not kept."
    )

    def clean_file(self):
        """Refuses a file over VERIFY_MAX_BYTES by the size Django counted while receiving it,
        before anything reads it into memory."""
        upload = self.cleaned_data["file"]
        limit = settings.VERIFY_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"A Muster report is far smaller than {filesizeformat(limit)}: this file was not checked.",
                code="too_large",
            )
        return upload
