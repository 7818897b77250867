"""What every app's forms share: the date widget, service errors shown on a form, the
product's date range and bounded ids."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from socialops import params


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
