"""Campaign and UTM registry services: field errors for bad input (all at once, nothing
written), the registry's values enforced, and who may do what — the owner (Marketing's
lead), a colleague (Sales' lead) and an admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns import services
from campaigns.links.services import link_create_tagged
from campaigns.models import Campaign, UtmTag
from socialops.models import AuditEvent
from tests.factories import GoalFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 30)


@pytest.fixture
def registry(db):
    services.utm_tags_ensure_defaults()


@pytest.fixture
def goal(marketing):
    return GoalFactory(department=marketing, title="Sell more seats", status="active")


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


@pytest.fixture
def viewer(marketing):
    return MembershipFactory(department=marketing, role="viewer").user


def create(actor, department, **overrides):
    fields = {
        "name": "Black Friday",
        "objective": "sales",
        "period_start": START,
        "period_end": END,
        "budget": Decimal("1000"),
    }
    fields.update(overrides)
    return services.campaign_create(actor=actor, department=department, **fields)


def errors_of(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kwargs)
    return exc.value.message_dict


class TestUtmRegistry:
    def test_defaults_are_registered_once_and_a_retired_one_stays_retired(self, db):
        assert services.utm_tags_ensure_defaults() == len(services.DEFAULT_UTM_TAGS)
        tag = UtmTag.objects.get(parameter="utm_source", value="x")
        tag.is_active = False
        tag.save()

        assert services.utm_tags_ensure_defaults() == 0

        assert not UtmTag.objects.get(pk=tag.pk).is_active
        assert UtmTag.objects.filter(parameter="utm_medium", value="social").exists()

    def test_leads_and_admins_add_values(self, owner, colleague, admin_user):
        for user, value in [(owner, "spring"), (colleague, "webinar"), (admin_user, "podcast")]:
            tag = services.utm_tag_create(actor=user, parameter="utm_content", value=value)
            assert tag.is_active and tag.created_by == user
        assert AuditEvent.objects.filter(object_type="campaigns.utmtag").count() == 3

    def test_members_and_viewers_cannot_change_the_registry(self, member, viewer, registry):
        tag = UtmTag.objects.get(parameter="utm_source", value="x")
        for user in (member, viewer):
            with pytest.raises(PermissionDenied):
                services.utm_tag_create(actor=user, parameter="utm_content", value="mine")
            with pytest.raises(PermissionDenied):
                services.utm_tag_set_active(actor=user, tag=tag, is_active=False)
            with pytest.raises(PermissionDenied):
                services.utm_tags_ensure_defaults(actor=user)

    @pytest.mark.parametrize("value", ["Twitter", "spring sale", "x!", "-x", ""])
    def test_a_badly_formed_value_is_a_field_error(self, owner, value):
        errors = errors_of(
            services.utm_tag_create, actor=owner, parameter="utm_source", value=value
        )
        assert "value" in errors
        assert not UtmTag.objects.exists()

    def test_a_value_registered_twice_is_a_field_error(self, owner, registry):
        errors = errors_of(services.utm_tag_create, actor=owner, parameter="utm_source", value="x")
        assert "already registered" in errors["value"][0]

    def test_an_unknown_parameter_is_a_field_error(self, owner):
        errors = errors_of(services.utm_tag_create, actor=owner, parameter="utm_term", value="a")
        assert "parameter" in errors

    def test_retire_and_reactivate(self, owner, registry):
        tag = UtmTag.objects.get(parameter="utm_medium", value="email")
        assert not services.utm_tag_set_active(actor=owner, tag=tag, is_active=False).is_active
        assert services.utm_tag_set_active(actor=owner, tag=tag, is_active=True).is_active
        updates = AuditEvent.objects.filter(object_type="campaigns.utmtag", action="update")
        assert updates.count() == 2


class TestCampaignCreate:
    def test_create_with_defaults(self, owner, marketing, registry, goal):
        campaign = create(owner, marketing, goals=[goal])

        assert campaign.utm_source == "x" and campaign.utm_medium == "social"
        assert campaign.utm_campaign == "black-friday"
        assert campaign.status == Campaign.Status.PLANNED
        assert list(campaign.goals.all()) == [goal]
        assert campaign.created_by == owner
        # Its tag joins the registry, so links and reports name it alike.
        assert UtmTag.objects.filter(parameter="utm_campaign", value="black-friday").exists()
        event = AuditEvent.objects.get(object_type="campaigns.campaign")
        assert event.department == marketing and event.action == "create"

    def test_the_default_utm_campaign_is_unique(self, owner, marketing, registry):
        first = create(owner, marketing)
        second = create(owner, marketing)
        third = create(owner, marketing, name="Black   Friday!")

        assert [first.utm_campaign, second.utm_campaign, third.utm_campaign] == [
            "black-friday",
            "black-friday-2",
            "black-friday-3",
        ]

    def test_a_name_without_letters_gets_a_tag_anyway(self, owner, marketing, registry):
        assert create(owner, marketing, name="¡¡!!").utm_campaign == "campaign"

    def test_an_explicit_utm_campaign_already_taken_is_a_field_error(
        self, owner, marketing, registry
    ):
        create(owner, marketing, utm_campaign="bf-2026")
        errors = errors_of(create, owner, marketing, name="Other", utm_campaign="bf-2026")
        assert "Another campaign" in errors["utm_campaign"][0]
        assert Campaign.objects.count() == 1

    def test_badly_formed_utm_campaign(self, owner, marketing, registry):
        errors = errors_of(create, owner, marketing, utm_campaign="Black Friday")
        assert "utm_campaign" in errors

    def test_every_problem_is_reported_at_once_as_field_errors(
        self, owner, marketing, registry, goal
    ):
        goal.status = "achieved"
        goal.save()
        errors = errors_of(
            create,
            owner,
            marketing,
            name="",
            period_end=START - dt.timedelta(days=1),
            budget=Decimal("-1"),
            spend=Decimal("-5"),
            utm_source="twitter",
            utm_medium="",
            goals=[goal],
        )

        assert set(errors) >= {
            "name",
            "period_end",
            "budget",
            "spend",
            "utm_source",
            "utm_medium",
            "goals",
        }
        assert "not in the UTM registry" in errors["utm_source"][0]
        assert "active goals" in errors["goals"][0]
        # Nothing half-written.
        assert not Campaign.objects.exists()
        assert not UtmTag.objects.filter(parameter="utm_campaign").exists()
        assert not AuditEvent.objects.filter(object_type="campaigns.campaign").exists()

    def test_a_retired_registry_value_cannot_be_picked(self, owner, marketing, registry):
        UtmTag.objects.filter(value="paid-social").update(is_active=False)
        errors = errors_of(create, owner, marketing, utm_medium="paid-social")
        assert "retired" in errors["utm_medium"][0]

    def test_without_a_registry_the_defaults_are_refused(self, owner, marketing):
        errors = errors_of(create, owner, marketing)
        assert {"utm_source", "utm_medium"} <= set(errors)

    def test_goals_of_any_department_may_be_linked(self, owner, marketing, sales, registry):
        theirs = GoalFactory(department=sales, status="active")
        assert list(create(owner, marketing, goals=[theirs]).goals.all()) == [theirs]

    def test_a_retired_campaign_tag_cannot_be_reused(self, owner, marketing, registry):
        UtmTag.objects.create(parameter="utm_campaign", value="old-one", is_active=False)
        errors = errors_of(create, owner, marketing, utm_campaign="old-one")
        assert "retired" in errors["utm_campaign"][0]


class TestPermissions:
    def test_owner_and_members_start_their_departments_campaigns(
        self, owner, member, marketing, registry
    ):
        assert create(owner, marketing).department == marketing
        assert create(member, marketing).department == marketing

    def test_colleague_cannot_start_a_campaign_for_marketing(self, colleague, marketing, registry):
        with pytest.raises(PermissionDenied):
            create(colleague, marketing)
        assert not Campaign.objects.exists()

    def test_viewer_cannot_start_one(self, viewer, marketing, registry):
        with pytest.raises(PermissionDenied):
            create(viewer, marketing)

    def test_admin_starts_campaigns_anywhere(self, admin_user, marketing, sales, registry):
        assert create(admin_user, marketing).pk and create(admin_user, sales).pk

    def test_colleague_cannot_edit_marketings_campaign_admin_can(
        self, owner, colleague, admin_user, marketing, registry
    ):
        campaign = create(owner, marketing)
        with pytest.raises(PermissionDenied):
            services.campaign_update(actor=colleague, campaign=campaign, name="Hijacked")
        with pytest.raises(PermissionDenied):
            services.campaign_set_status(actor=colleague, campaign=campaign, status="running")

        services.campaign_update(actor=admin_user, campaign=campaign, name="Renamed by admin")
        services.campaign_set_status(actor=admin_user, campaign=campaign, status="running")

        campaign.refresh_from_db()
        assert (campaign.name, campaign.status) == ("Renamed by admin", "running")


class TestCampaignUpdate:
    @pytest.fixture
    def campaign(self, owner, marketing, registry):
        return create(owner, marketing, utm_medium="paid-social")

    def test_update_and_audit(self, owner, campaign, goal):
        services.campaign_update(
            actor=owner, campaign=campaign, spend=Decimal("250.50"), goals=[goal]
        )

        campaign.refresh_from_db()
        assert campaign.spend == Decimal("250.50")
        assert list(campaign.goals.all()) == [goal]
        event = AuditEvent.objects.filter(action="update").get()
        assert event.changes["spend"] == ["0.00", "250.50"]
        assert event.changes["goals"] == [[], [goal.pk]]

    def test_a_goals_only_change_is_audited_too(self, owner, campaign, goal):
        services.campaign_update(actor=owner, campaign=campaign, goals=[goal])
        assert AuditEvent.objects.get(action="update").changes == {"goals": [[], [goal.pk]]}

    def test_a_value_retired_since_does_not_block_other_edits(self, owner, campaign):
        UtmTag.objects.filter(value="paid-social").update(is_active=False)

        services.campaign_update(
            actor=owner, campaign=campaign, name="Still paid", utm_medium="paid-social"
        )

        campaign.refresh_from_db()
        assert (campaign.name, campaign.utm_medium) == ("Still paid", "paid-social")

    def test_changing_to_an_unregistered_value_is_a_field_error(self, owner, campaign):
        errors = errors_of(
            services.campaign_update, actor=owner, campaign=campaign, utm_source="facebook"
        )
        assert "utm_source" in errors
        campaign.refresh_from_db()
        assert campaign.utm_source == "x"

    def test_a_goal_achieved_since_does_not_block_edits(self, owner, campaign, goal, marketing):
        services.campaign_update(actor=owner, campaign=campaign, goals=[goal])
        goal.status = "achieved"
        goal.save()
        services.campaign_update(actor=owner, campaign=campaign, goals=[goal], name="Still")

        dropped = GoalFactory(department=marketing, status="dropped")
        errors = errors_of(
            services.campaign_update, actor=owner, campaign=campaign, goals=[goal, dropped]
        )
        assert "goals" in errors

    def test_period_order_on_update(self, owner, campaign):
        errors = errors_of(
            services.campaign_update,
            actor=owner,
            campaign=campaign,
            period_start=END + dt.timedelta(days=1),
        )
        assert "period_end" in errors

    def test_an_emptied_utm_campaign_is_made_from_the_name_again(self, owner, campaign):
        services.campaign_update(actor=owner, campaign=campaign, name="Cyber Monday")
        services.campaign_update(actor=owner, campaign=campaign, utm_campaign="")
        campaign.refresh_from_db()
        assert campaign.utm_campaign == "cyber-monday"
        assert UtmTag.objects.filter(parameter="utm_campaign", value="cyber-monday").exists()

    def test_keeping_its_own_utm_campaign_is_not_a_duplicate(self, owner, campaign):
        services.campaign_update(actor=owner, campaign=campaign, utm_campaign="black-friday")

    def test_the_department_cannot_be_changed(self, owner, campaign, sales):
        with pytest.raises(TypeError):
            services.campaign_update(actor=owner, campaign=campaign, department=sales)

    def test_an_unknown_status_is_a_field_error(self, owner, campaign):
        errors = errors_of(
            services.campaign_set_status, actor=owner, campaign=campaign, status="paused"
        )
        assert "status" in errors

    def test_set_status(self, owner, campaign):
        services.campaign_set_status(actor=owner, campaign=campaign, status="finished")
        campaign.refresh_from_db()
        assert campaign.status == "finished"


class TestLinksFromTheRegistry:
    def test_registered_values_are_accepted(self, owner, campaign, registry):
        link = link_create_tagged(
            actor=owner,
            destination="https://example.com/a",
            campaign=campaign,
            utm_content="bio",
        )
        assert link.utm_content == "bio"

    def test_unregistered_values_and_bad_destinations_are_field_errors(
        self, owner, campaign, registry
    ):
        errors = errors_of(
            link_create_tagged,
            actor=owner,
            destination="javascript:alert(1)",
            campaign=campaign,
            utm_content="hero",
            utm_source="Twitter",
        )
        assert set(errors) == {"destination", "utm_content", "utm_source"}

    def test_colleague_cannot_link_for_marketings_campaign(self, colleague, campaign, registry):
        with pytest.raises(PermissionDenied):
            link_create_tagged(
                actor=colleague, destination="https://example.com", campaign=campaign
            )
