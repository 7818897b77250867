"""How a view answers HTMX and plain requests alike (one place, used by every app's views):
the whole page or only its form partial, inline validation without saving, and a redirect
that HTMX follows as a full page load."""

from __future__ import annotations

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def render_form(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """The whole page, or only its `form` partial for an HTMX request."""
    if request.htmx:
        template = f"{template}#form"
    return render(request, template, context, status=status)


def render_submitted_form(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """render_form(), answering 422 when a submitted form has errors (HTMX swaps it in; the
    page shows the field errors). Inline validation (?validate=1) stays 200."""
    form = context["form"]
    submitted = request.method == "POST" and request.GET.get("validate") != "1"
    status = 422 if submitted and form.errors else 200
    return render_form(request, template, context, status=status)


def validate_only(request: HttpRequest, form: BaseForm) -> bool:
    """Inline validation: an HTMX post with ?validate=1 checks the form without saving,
    and keeps quiet about fields the user has not filled in yet."""
    if not (request.htmx and request.GET.get("validate") == "1"):
        return False
    form.is_valid()
    for name in list(form.errors):
        if name != "__all__" and not request.POST.get(name):
            del form.errors[name]
    return True


def htmx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that HTMX follows as a full page load."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
