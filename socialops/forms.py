"""What every app's forms share: the date widget, service errors shown on a form, the
product's date range and bounded ids."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from socialops import params
from socialops.models import ApiToken


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class DatesInRange:
    """A form mixin: every date and date-time field takes only days in the product's range
    (socialops/params.py). A post at 9999-12-31 23:59 or a goal ending then was saved, and
    every page that showed it a day later or in a zone east of UTC answered 500."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(params.validate_day_in_range)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses an id past a bigint as it refuses `abc`: SQLite cannot even compare such a
    number with a column (OverflowError, a 500)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip().removeprefix("-")
            if text.isascii() and text.isdigit() and int(text) >= 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class ApiTokenForm(DatesInRange, forms.Form):
    """A new API token: a name, an optional expiry and a level per resource (none, read,
    write), with "every resource" for those not set one by one."""

    name = forms.CharField(
        max_length=100, help_text="Say what uses it (for example: HubSpot sync)."
    )
    expires_on = forms.DateField(
        required=False,
        widget=DateInput(),
        help_text="Optional: the token stops working at the start of this day.",
    )

    def __init__(self, *args, resources: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        levels = [("", "as for every resource"), *ApiToken.Level.choices]
        self.fields["scope__all"] = forms.ChoiceField(
            label="Every resource", choices=ApiToken.Level.choices, initial="none"
        )
        self.resources = resources
        for resource in resources:
            self.fields[f"scope_{resource}"] = forms.ChoiceField(
                label=resource, choices=levels, required=False
            )

    def scopes(self) -> dict[str, str]:
        scopes = {"*": self.cleaned_data["scope__all"]}
        for resource in self.resources:
            level = self.cleaned_data.get(f"scope_{resource}")
            if level:
                scopes[resource] = level
        return scopes

    def scope_fields(self):
        return [self[f"scope_{resource}"] for resource in self.resources]
