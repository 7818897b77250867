"""Business hours: seconds within opening hours across DST changes (Europe/London and
America/New_York), overnight shifts, closed days and holidays; the calendar a department
gets (its own hours or the organisation's; holidays adding up); the settings page and
form, for a department's lead, a lead of another department and an admin; and speed."""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from departments.hours import business_seconds, calendar
from departments.models import Holiday, OpeningHours
from departments.selectors import department_calendar
from departments.services import business_hours_set
from socialops.models import AuditEvent

H = 3600
LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {d: [(time(9), time(17))] for d in range(5)}


def at(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def test_a_plain_week():
    cal = calendar(LONDON, WEEKDAYS_9_TO_5)
    # Monday 2 March 2026, 08:00 to the Friday 18:00: five days of eight hours.
    assert business_seconds(cal, at(LONDON, 2026, 3, 2, 8), at(LONDON, 2026, 3, 6, 18)) == 40 * H
    # Friday 16:00 to Monday 10:00: one hour each side of a closed weekend.
    assert business_seconds(cal, at(LONDON, 2026, 3, 6, 16), at(LONDON, 2026, 3, 9, 10)) == 2 * H
    # Within one closed stretch, and backwards: nothing.
    assert business_seconds(cal, at(LONDON, 2026, 3, 7, 9), at(LONDON, 2026, 3, 8, 20)) == 0
    assert business_seconds(cal, at(LONDON, 2026, 3, 3, 12), at(LONDON, 2026, 3, 3, 11)) == 0
    # The same instants given in another zone count the same.
    utc = ZoneInfo("UTC")
    assert business_seconds(cal, at(utc, 2026, 3, 2, 8), at(utc, 2026, 3, 2, 10)) == H


@pytest.mark.parametrize(
    ("tz", "spring", "autumn"),
    [
        (LONDON, date(2026, 3, 29), date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_dst_days_keep_the_wall_clock_hours(tz, spring, autumn):
    every_day = {d: [(time(9), time(17))] for d in range(7)}
    cal = calendar(tz, every_day)
    for day in (spring, autumn):
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        assert business_seconds(cal, start, end) == 8 * H  # 09:00–17:00 whatever the offset
    # Open through the night: the spring day has 23 hours, the autumn day 25.
    always = calendar(tz, {d: [(time(0), time(0))] for d in range(7)})
    for day, hours in ((spring, 23), (autumn, 25)):
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        assert business_seconds(always, start, end) == hours * H
    # A night shift 22:00–06:00 over the spring change is an hour short, the autumn one long.
    night = calendar(tz, {d: [(time(22), time(6))] for d in range(7)})
    for day, hours in ((spring, 7), (autumn, 9)):
        start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=tz)
        end = datetime.combine(day, time(12), tzinfo=tz)
        assert business_seconds(night, start, end) == hours * H


def test_overnight_shifts_closed_days_and_holidays():
    # Open Monday 20:00 to Tuesday 04:00, and Wednesday 09:00–17:00; nothing else.
    cal = calendar(NEW_YORK, {0: [(time(20), time(4))], 2: [(time(9), time(17))]})
    monday = at(NEW_YORK, 2026, 6, 1, 0)
    assert business_seconds(cal, monday, monday + timedelta(days=7)) == 16 * H
    # From Tuesday 02:00: the shift's last two hours, then Wednesday.
    assert (
        business_seconds(cal, monday + timedelta(days=1, hours=2), monday + timedelta(days=7))
        == 10 * H
    )
    # A holiday closes the shift that starts on it (Monday's night), not Wednesday.
    closed = calendar(
        NEW_YORK, {0: [(time(20), time(4))], 2: [(time(9), time(17))]}, [date(2026, 6, 1)]
    )
    assert business_seconds(closed, monday, monday + timedelta(days=7)) == 8 * H
    # Two shifts that touch count once (Monday 20:00–24:00 and Tuesday 00:00–08:00).
    touching = calendar(NEW_YORK, {0: [(time(20), time(0))], 1: [(time(0), time(8))]})
    assert business_seconds(touching, monday, monday + timedelta(days=2)) == 12 * H


def test_no_hours_means_every_hour_counts_and_naive_times_are_refused():
    cal = calendar("Europe/Madrid")
    start = at(LONDON, 2026, 3, 28, 12)
    assert business_seconds(cal, start, start + timedelta(days=2)) == 48 * H
    with pytest.raises(ValueError):
        business_seconds(cal, datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_spans_across_years_extend_the_precomputed_calendar():
    cal = calendar(LONDON, WEEKDAYS_9_TO_5, [date(2025, 12, 25), date(2026, 1, 1)])
    assert business_seconds(cal, at(LONDON, 2026, 1, 5, 0), at(LONDON, 2026, 1, 6, 0)) == 8 * H
    # Christmas week 2025 (Mon 22 – Fri 26 Dec; the 25th closed) then into 2026.
    span = business_seconds(cal, at(LONDON, 2025, 12, 22, 0), at(LONDON, 2026, 1, 3, 0))
    assert span == (5 - 1 + 5 - 1) * 8 * H
    assert business_seconds(cal, at(LONDON, 2031, 1, 6, 0), at(LONDON, 2031, 1, 7, 0)) == 8 * H


# --- A department's calendar ---------------------------------------------------------


@pytest.mark.django_db
def test_a_department_follows_the_organisation_unless_it_has_its_own(
    organisation, marketing, sales, admin_user
):
    organisation.time_zone = "Europe/London"
    organisation.save()
    business_hours_set(
        actor=admin_user,
        department=None,
        shifts=[(d, time(9), time(17)) for d in range(5)],
        holidays=[(date(2026, 12, 25), "Christmas Day")],
    )
    business_hours_set(
        actor=admin_user,
        department=sales,
        own_hours=True,
        shifts=[(d, time(8), time(20)) for d in range(6)],
        holidays=[(date(2026, 12, 24), "Sales away day")],
    )
    christmas_week = (at(LONDON, 2026, 12, 21, 0), at(LONDON, 2026, 12, 28, 0))
    assert business_seconds(marketing, *christmas_week) == 4 * 8 * H
    assert business_seconds(sales, *christmas_week) == 4 * 12 * H  # Mon–Sat less two days
    cal = department_calendar(department=sales)
    assert cal.tz == LONDON and cal.holidays == {date(2026, 12, 24), date(2026, 12, 25)}
    business_hours_set(actor=admin_user, department=sales, own_hours=False, shifts=[], holidays=[])
    sales.refresh_from_db()
    assert not sales.own_hours and not OpeningHours.objects.filter(department=sales).exists()
    assert business_seconds(sales, *christmas_week) == 4 * 8 * H
    assert AuditEvent.objects.filter(object_type="departments.openinghours").exists()


# --- The page and form ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lead_sets_hours_others_are_refused_admins_may(
    client, marketing, owner, colleague, admin_user
):
    url = reverse("departments:hours", args=[marketing.slug])
    data = {
        "own_hours": "on",
        "monday_opens": "09:00",
        "monday_closes": "17:30",
        "friday_opens": "22:00",
        "friday_closes": "02:00",
        "holidays": "2026-12-25 Christmas Day\n\n2026-12-26",
    }
    client.force_login(colleague)  # a lead of another department
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    assert not OpeningHours.objects.exists()

    client.force_login(owner)  # Marketing's lead
    page = client.get(url)
    assert page.status_code == 200 and "Business hours of Marketing" in page.content.decode()
    saved = client.post(url, data)
    assert saved.status_code == 302
    assert sorted(str(h) for h in OpeningHours.objects.filter(department=marketing)) == [
        "Friday 22:00–02:00",
        "Monday 09:00–17:30",
    ]
    assert [(h.day, h.name) for h in Holiday.objects.all()] == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), ""),
    ]
    shown = client.get(url).content.decode()
    assert 'value="22:00"' in shown and "2026-12-25 Christmas Day" in shown

    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    assert client.get(reverse("departments:organisation_hours")).status_code == 200
    client.force_login(owner)
    assert client.get(reverse("departments:organisation_hours")).status_code == 403


@pytest.mark.django_db
def test_bad_input_gets_field_errors_and_changes_nothing(client, marketing, owner):
    client.force_login(owner)
    url = reverse("departments:hours", args=[marketing.slug])
    response = client.post(
        url,
        {
            "own_hours": "on",
            "monday_opens": "09:00",
            "tuesday_opens": "25:99",
            "tuesday_closes": "17:00",
            "holidays": "2026-12-25 Christmas\nnext friday",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"monday_closes", "tuesday_opens", "holidays"}
    assert "Line 2" in errors["holidays"][0]
    assert not OpeningHours.objects.exists() and not Holiday.objects.exists()
    marketing.refresh_from_db()
    assert not marketing.own_hours


def test_a_million_rows_in_bulk():
    """Not a strict benchmark: a million questions against one calendar stay well under
    the time a test may take (about a second on the development machine)."""
    cal = calendar(NEW_YORK, WEEKDAYS_9_TO_5, [date(2026, 7, 3), date(2026, 11, 26)])
    base = at(NEW_YORK, 2026, 1, 1).timestamp()
    tz = NEW_YORK
    rows = [
        (
            datetime.fromtimestamp(base + (i * 7919) % (300 * 86400), tz),
            datetime.fromtimestamp(base + (i * 7919) % (300 * 86400) + (i % 97) * 1800, tz),
        )
        for i in range(1_000_000)
    ]
    started = clock.perf_counter()
    answers = cal.seconds_many(rows)
    elapsed = clock.perf_counter() - started
    assert len(answers) == len(rows) and sum(answers) > 0
    for (start, end), answer in zip(rows[:2000], answers, strict=False):
        assert cal.seconds(start, end) == answer
    assert elapsed < 30, f"{elapsed:.1f} s for a million rows"
