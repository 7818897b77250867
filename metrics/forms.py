"""The form on a KPI's page: a measurement recorded by hand."""

from __future__ import annotations

from django import forms

from departments.models import Measurement
from socialops.forms import DateInput, DatesInRange


class MeasurementForm(DatesInRange, forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["measured_on", "value", "note"]
        labels = {"measured_on": "Date"}
        widgets = {"measured_on": DateInput()}
