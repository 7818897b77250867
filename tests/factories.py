from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from departments.models import KPI, Department, Goal, Measurement, Membership
from socialops.models import User
from socialops.webhooks.signing import secret_new

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.LazyAttribute(lambda d: d.name.lower().replace(" ", "-").replace("&", "and"))
    kind = Department.Kind.OTHER
    purpose = "Why we are on social media."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    department = factory.SubFactory(DepartmentFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    department = factory.SubFactory(DepartmentFactory)
    objective = Goal.Objective.BRAND
    title = factory.Sequence(lambda n: f"Goal {n}")
    why = "Because it matters."
    period_start = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=30))
    period_end = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=60))
    status = Goal.Status.ACTIVE


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KPI

    goal = factory.SubFactory(GoalFactory)
    # Typed in by hand, so measurements count; a computed metric reads the rollup.
    metric = "custom"
    name = factory.Sequence(lambda n: f"Webinar sign-ups {n}")
    unit = "count"
    target = Decimal("1000")
    baseline = Decimal("100")
    direction = KPI.Direction.REACH
    cadence = KPI.Cadence.WEEKLY


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    kpi = factory.SubFactory(KPIFactory)
    value = Decimal("500")
    measured_on = factory.LazyFunction(dt.date.today)


class XAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listening.XAccount"
        django_get_or_create = ("username",)

    username = "brightline"
    x_user_id = 783214
    name = "Brightline Software"
    auth = "user"
    access_token = "user-token"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listening.Source"

    name = factory.Sequence(lambda n: f"Source {n}")
    kind = "mentions"
    account = factory.SubFactory(XAccountFactory)


class XUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listening.XUser"
        django_get_or_create = ("id",)

    id = factory.Sequence(lambda n: 9_000_000 + n)
    username = factory.Sequence(lambda n: f"xuser{n}")
    name = factory.Faker("name")
    fetched_at = factory.LazyFunction(dt.datetime.now().astimezone)


class DirectMessageFactory(factory.django.DjangoModelFactory):
    """A DM received by one of our accounts (X event ids grow with time)."""

    class Meta:
        model = "listening.DirectMessage"

    id = factory.Sequence(lambda n: 1_900_000_000_000_000_000 + n)
    account = factory.SubFactory(XAccountFactory)
    sender = factory.SubFactory(XUserFactory)
    recipient_id = factory.LazyAttribute(lambda o: o.account.x_user_id)
    dm_conversation_id = factory.LazyAttribute(
        lambda o: "-".join(str(i) for i in sorted((o.sender.pk, o.account.x_user_id)))
    )
    text = "Hi, I was charged twice this month"
    direction = "in"
    created_at = factory.LazyFunction(dt.datetime.now().astimezone)
    first_seen_at = factory.LazyFunction(dt.datetime.now().astimezone)


class TweetFactory(factory.django.DjangoModelFactory):
    """A post as X ids go: later posts have larger ids."""

    class Meta:
        model = "listening.Tweet"

    id = factory.Sequence(lambda n: 1_900_000_000_000_000_000 + n)
    author = factory.SubFactory(XUserFactory)
    text = factory.Sequence(lambda n: f"Post number {n} about brightline")
    created_at = factory.LazyFunction(dt.datetime.now().astimezone)
    conversation_id = factory.LazyAttribute(lambda t: t.id)
    lang = "en"
    like_count = 3
    retweet_count = 1
    reply_count = 0
    impression_count = 120
    first_seen_at = factory.LazyFunction(dt.datetime.now().astimezone)
    updated_at = factory.LazyFunction(dt.datetime.now().astimezone)


class SourceTweetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listening.SourceTweet"

    source = factory.SubFactory(SourceFactory)
    tweet = factory.SubFactory(TweetFactory)
    seen_at = factory.LazyFunction(dt.datetime.now().astimezone)


class SourceRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listening.SourceRun"

    source = factory.SubFactory(SourceFactory)
    started_at = factory.LazyFunction(dt.datetime.now().astimezone)
    finished_at = factory.LazyFunction(dt.datetime.now().astimezone)
    status = "ok"
    pages = 1
    posts_read = 10
    posts_new = 4
    cost = Decimal("0.0100")


# --- campaigns ------------------------------------------------------------------------


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Campaign"

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    objective = "sales"
    period_start = dt.date(2026, 11, 1)
    period_end = dt.date(2026, 12, 31)
    status = "running"
    utm_campaign = factory.Sequence(lambda n: f"campaign-{n}")


class ScheduledPostFactory(factory.django.DjangoModelFactory):
    """A draft; services move it along the workflow."""

    class Meta:
        model = "campaigns.ScheduledPost"

    account = factory.SubFactory(XAccountFactory)
    department = factory.SubFactory(DepartmentFactory)
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    category = "tips"
    text = factory.Sequence(lambda n: f"Tip {n}: schedule your posts a week ahead.")


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Offer"

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"SAVE{n}")
    description = "10% off the first year"
    valid_from = dt.date(2026, 11, 1)
    valid_until = dt.date(2026, 12, 31)
    value_kind = "percent"
    value = Decimal("10")


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.TimeEntry"

    user = factory.SubFactory(UserFactory)
    day = dt.date(2026, 11, 16)
    minutes = 30
    activity = "writing"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "socialops.WebhookEndpoint"

    url = "http://127.0.0.1:9/hooks"
    secret = factory.LazyFunction(secret_new)
    owner = factory.SubFactory(UserFactory, is_superuser=True, is_staff=True)
