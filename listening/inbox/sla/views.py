"""The SLA policies page: organisation admins and each department's leads (for their
departments). HTMX posts the form and swaps it with its field errors in place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from listening.inbox.sla import selectors, services
from listening.inbox.sla.forms import SlaPolicyForm
from socialops.forms import apply_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def policies(request):
    departments = selectors.policy_departments(user=request.user)
    if not departments.exists():
        raise PermissionDenied("Only organisation admins and department leads set SLA policies.")
    form = SlaPolicyForm(request.POST or None, departments=departments)
    saved = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            saved = services.sla_policy_save(
                actor=request.user,
                department=data.pop("department"),
                priority=data.pop("priority"),
                **data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not request.htmx:
                return redirect("inbox:sla_policies")
            form = SlaPolicyForm(departments=departments)
    status = 400 if request.method == "POST" and form.errors else 200
    context = {
        "form": form,
        "policies": selectors.sla_policy_list(user=request.user),
        "saved": saved,
    }
    template = "sla/policies.html#body" if request.htmx else "sla/policies.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def policy_delete(request, pk: int):
    policy = get_object_or_404(selectors.sla_policy_list(user=request.user), pk=pk)
    services.sla_policy_delete(actor=request.user, policy=policy)
    return redirect("inbox:sla_policies")
