"""Dates a person types are held to the product's range at the model too, so the Django
admin (which bypasses the pages' forms) cannot store a year-9999 goal whose pages then
answer 500: every date or moment a person enters carries the range validator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models

from socialops import params
from tests.factories import GoalFactory, KPIFactory, MeasurementFactory

pytestmark = pytest.mark.django_db

# Dates and moments people type, on pages, in the API or in the admin.
ENTERED = {
    ("departments", "goal"): ["period_start", "period_end"],
    ("departments", "measurement"): ["measured_on"],
    ("campaigns", "campaign"): ["period_start", "period_end"],
    ("campaigns", "offer"): ["valid_from", "valid_until"],
    ("campaigns", "conversion"): ["occurred_at"],
    ("campaigns", "scheduledpost"): ["scheduled_at"],
    ("campaigns", "recurringslot"): ["starts_on", "ends_on"],
    ("campaigns", "timeentry"): ["day"],
}


@pytest.mark.parametrize(("model", "names"), ENTERED.items(), ids=lambda v: str(v))
def test_entered_dates_carry_the_range_validator(model, names):
    model_class = apps.get_model(*model)
    for name in names:
        field = model_class._meta.get_field(name)
        assert isinstance(field, models.DateField)
        assert params.validate_day_in_range in field.validators, f"{model}.{name}"


def test_the_admin_refuses_a_goal_in_year_9999(client, admin_user):
    goal = GoalFactory()
    client.force_login(admin_user)
    url = f"/admin/departments/goal/{goal.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "department": goal.department_id,
        "objective": goal.objective,
        "title": goal.title,
        "why": goal.why,
        "period_start": "2026-01-01",
        "period_end": "9999-12-31",
        "status": goal.status,
        "owner": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert params.RANGE_MESSAGE in response.content.decode()
    goal.refresh_from_db()
    assert goal.period_end != dt.date(9999, 12, 31)


def test_the_admin_refuses_a_measurement_in_year_1(client, admin_user):
    measurement = MeasurementFactory(kpi=KPIFactory())
    client.force_login(admin_user)
    url = f"/admin/departments/measurement/{measurement.pk}/change/"
    response = client.post(
        url,
        {
            "kpi": measurement.kpi_id,
            "value": "500",
            "measured_on": "0001-01-01",
            "note": "",
            "recorded_by": "",
        },
    )
    assert response.status_code == 200
    assert params.RANGE_MESSAGE in response.content.decode()
    measurement.refresh_from_db()
    assert measurement.measured_on != dt.date(1, 1, 1)
