from __future__ import annotations

from django import forms

from notifications.models import Kind, Preference

# What can be switched off by email on its own (the digest has its own choice, "Never").
EMAIL_KINDS = [(kind.value, kind.label) for kind in Kind if kind != Kind.DIGEST]


class PreferenceForm(forms.ModelForm):
    emailed = forms.MultipleChoiceField(
        label="Email me about",
        choices=EMAIL_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everything also appears under Notifications in Muster.",
    )

    class Meta:
        model = Preference
        fields = ["digest", "digest_hour"]
        labels = {"digest": "Digest of what is due"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["emailed"].initial = [k for k, _ in EMAIL_KINDS if k not in self.instance.muted]

    @property
    def muted(self) -> list[str]:
        emailed = set(self.cleaned_data["emailed"])
        return [k for k, _ in EMAIL_KINDS if k not in emailed]
