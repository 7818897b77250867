"""REST API for the organisation, departments, memberships and measurements. Goals and
KPIs are served by metrics/api.py: their answers carry each KPI's progress.

Input serializers only check the shape of a request. The services decide: they check the
caller's rights (departments.permissions), validate with full_clean() and write the audit
row, all in one transaction, so a refused or invalid request leaves nothing behind.
Output serializers answer with what was stored, read back through the selectors.

People are named by username (memberships, goal owners); departments by slug; goals,
KPIs and measurements by id.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.helpers import forced_singular_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from departments import filters, selectors, services
from departments.models import KPI, Department, Measurement, Membership, Organisation
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer
from socialops import drf
from socialops.api import ServiceModelViewSet, Services, answers_with, router
from socialops.permissions import request_user
from socialops.serializers import UsernameField, UserSummarySerializer

DECIMAL = {"max_digits": 18, "decimal_places": 4}


# --- Related fields: choices come from the selectors, narrowed to the caller ------------
# Their querysets depend on the request, so the schema is told their types.


@extend_schema_field(OpenApiTypes.INT)
class KPIIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[KPI]:
        return selectors.kpi_list(user=request_user(self)).prefetch_related(None)


# --- Output serializers ---------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["name", "type", "time_zone", "currency", "hourly_staff_cost", "updated_at"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "slug", "name", "kind", "purpose", "created_at", "updated_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "department",
            "user",
            "role",
            "is_representative",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeasurementSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(source="kpi.goal.department", read_only=True)
    recorded_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "department",
            "value",
            "measured_on",
            "note",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Input serializers ----------------------------------------------------------------
# Update serializers leave out what a service will not change (a goal's department, a
# KPI's goal); create serializers add it.


class DepartmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Department.Kind.choices)
    purpose = serializers.CharField(allow_blank=True, required=False)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Made from the name when left out."
    )


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    is_representative = serializers.BooleanField(
        help_text="Represents the department at the weekly steering committee."
    )


class MembershipCreateSerializer(serializers.Serializer):
    department = DepartmentSlugField()
    user = UsernameField(help_text="The new member's username.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    is_representative = serializers.BooleanField(default=False)


class MeasurementUpdateSerializer(serializers.Serializer):
    value = serializers.DecimalField(**DECIMAL)
    measured_on = drf.DateField(help_text="One measurement per KPI and day.")
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)


class MeasurementCreateSerializer(MeasurementUpdateSerializer):
    kpi = KPIIdField(help_text="The KPI's id.")


# --- Viewsets -------------------------------------------------------------------------


class OrganisationViewSet(viewsets.GenericViewSet):
    """The organisation this installation serves: one object, not a list."""

    serializer_class = OrganisationSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="organisation_retrieve",
        responses=forced_singular_serializer(OrganisationSerializer),
    )
    def list(self, request: Request) -> Response:
        return Response(OrganisationSerializer(selectors.organisation_get()).data)


@extend_schema_view(**answers_with(DepartmentSerializer))
class DepartmentViewSet(ServiceModelViewSet):
    """Departments, by slug. Leads edit their own department; organisation admins add and
    remove departments."""

    lookup_field = "slug"
    output_serializer_class = DepartmentSerializer
    create_serializer_class = DepartmentInputSerializer
    update_serializer_class = DepartmentInputSerializer
    filterset_class = filters.DepartmentFilterSet

    use = Services(
        selector=selectors.department_list,
        create=services.department_create,
        update=services.department_update,
        delete=services.department_delete,
        instance="department",
    )


@extend_schema_view(**answers_with(MembershipSerializer))
class MembershipViewSet(ServiceModelViewSet):
    """Who belongs to which department, in which role; people are named by username.
    Leads manage their own department's members."""

    output_serializer_class = MembershipSerializer
    create_serializer_class = MembershipCreateSerializer
    update_serializer_class = MembershipUpdateSerializer
    filterset_class = filters.MembershipFilterSet

    use = Services(
        selector=selectors.membership_list,
        create=services.membership_create,
        update=services.membership_update,
        delete=services.membership_delete,
        instance="membership",
    )


@extend_schema_view(**answers_with(MeasurementSerializer))
class MeasurementViewSet(ServiceModelViewSet):
    """Values of a KPI's metric entered by hand, at most one per KPI and day; edited by
    whoever may edit the KPI's goal."""

    output_serializer_class = MeasurementSerializer
    create_serializer_class = MeasurementCreateSerializer
    update_serializer_class = MeasurementUpdateSerializer
    filterset_class = filters.MeasurementFilterSet

    use = Services(
        selector=selectors.measurement_list,
        create=services.measurement_create,
        update=services.measurement_update,
        delete=services.measurement_delete,
        instance="measurement",
    )


router.register("organisation", OrganisationViewSet, basename="organisation")
router.register("departments", DepartmentViewSet, basename="department")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("measurements", MeasurementViewSet, basename="measurement")
