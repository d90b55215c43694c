from __future__ import annotations

from django import forms

from accounts.models import Role


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    role = forms.ModelChoiceField(
        label="Role",
        queryset=Role.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label="All roles",
    )

    def __init__(self, *args, roles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles
        self.fields["q"].widget.attrs["placeholder"] = "Code, title or guidance"
