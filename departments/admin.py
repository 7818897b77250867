from django.contrib import admin

from departments.models import (
    KPI,
    Department,
    Goal,
    Holiday,
    Measurement,
    Membership,
    OpeningHours,
    Organisation,
)
from departments.services import REBUILD_FIELDS
from socialops.marks import rebuild_later

# The admin is for organisation admins fixing data by hand; it bypasses the services'
# audit trail, so everyday work happens in the product's own pages.


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "time_zone", "currency", "hourly_staff_cost"]

    def has_add_permission(self, request):
        return not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and set(form.changed_data) & set(REBUILD_FIELDS):
            rebuild_later()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    # A department's figures are spread over every day (see department_delete).
    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        rebuild_later()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        rebuild_later()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role", "is_representative"]
    list_filter = ["department", "role", "is_representative"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "department"]


class KPIInline(admin.TabularInline):
    model = KPI
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "objective", "status", "period_start", "period_end"]
    list_filter = ["department", "objective", "status"]
    search_fields = ["title"]
    autocomplete_fields = ["owner"]
    inlines = [KPIInline]


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = ["label", "goal", "metric", "target", "baseline", "cadence"]
    list_filter = ["metric", "cadence", "goal__department"]
    list_select_related = ["goal__department"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["kpi", "measured_on", "value", "recorded_by"]
    list_filter = ["kpi__goal__department"]
    date_hierarchy = "measured_on"
    list_select_related = ["kpi__goal", "recorded_by"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    """Several shifts a day (a lunch break) are set here; the page offers one a day."""

    list_display = ["__str__", "department"]
    list_filter = ["department", "weekday"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["day", "name", "department"]
    list_filter = ["department"]
    date_hierarchy = "day"
