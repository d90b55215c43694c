from __future__ import annotations

from django import forms


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


class VerifyForm(forms.Form):
    file = forms.FileField(
        label="Report (PDF)", help_text="The signed PDF you received. It is checked, not kept."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("A Muster report is far smaller than 50 MB.")
        return upload
