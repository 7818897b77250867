"""Pieces of department pages that pages of other apps embed (`{% load departments %}`).

The department page is served by `metrics` (it shows KPI progress), which sits above
departments and may not import its forms; the people panel and its form come from here,
the same template the membership views answer HTMX requests with.
"""

from __future__ import annotations

from django import template

from departments.forms import MembershipForm
from departments.models import Department, Membership

register = template.Library()


@register.inclusion_tag("departments/_members.html")
def department_members(
    department: Department, memberships: list[Membership], can_manage: bool
) -> dict:
    return {
        "department": department,
        "memberships": memberships,
        "can_manage": can_manage,
        "member_form": MembershipForm(department=department) if can_manage else None,
    }
