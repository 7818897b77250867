"""Sign-in lockout with django-axes: failures are counted per account and per address in
the database (axes' AccessAttempt), so the lock holds across every web process on SQLite
and PostgreSQL alike, with or without Redis. A locked account or address is refused even
with the right password until the lock ends; the page says when that is."""

from __future__ import annotations

from datetime import datetime

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from socialops.services import lockout_record
from socialops.throttle import client_ip, password_reset_attempt


class SignInLockoutBackend(AxesStandaloneBackend):
    """Axes' check before Django's ModelBackend. Every sign-in form passes the request;
    a call without one (a script, `Client.login` in tests) is let through to the next
    backend instead of failing, as no attacker reaches it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def signin_locked_until(*, username: str | None, ip_address: str) -> datetime:
    """When the lock on this account or address ends: its last counted failure plus the
    lockout period (failures during a lock do not extend it)."""
    cooloff = settings.AXES_COOLOFF_TIME
    condition = Q(ip_address=ip_address)
    if username:
        condition |= Q(username=username)
    last = AccessAttempt.objects.filter(
        condition, attempt_time__gte=timezone.now() - cooloff
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + cooloff


def try_again_message(until: datetime) -> str:
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    at = date_format(timezone.localtime(until), "H:i")
    return f"try again at {at} (in {minutes} minute{'s' if minutes != 1 else ''})"


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, 429, saying when to try again."""
    username = get_client_username(request, credentials)
    until = signin_locked_until(username=username, ip_address=request.axes_ip_address)
    form = AuthenticationForm(request, initial={"username": username or ""})
    form.cleaned_data = {}  # unbound (re-validating would try the password again)
    form.add_error(
        None,
        "Too many failed sign-ins for this account or from this address: "
        f"{try_again_message(until)}.",
    )
    response = render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    return response


@receiver(user_locked_out)
def audit_signin_lockout(sender, request, username, ip_address, **kwargs):
    # Axes sends this for the failure that starts a lock and again for every attempt
    # refused during it; only the first carries a failure count.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    lockout_record(
        scope="sign-in",
        username=username or "",
        ip_address=ip_address,
        until=signin_locked_until(username=username, ip_address=ip_address),
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, limited per address and per e-mail address
    (PASSWORD_RESET_LIMIT an hour for an account, four times that for an address)."""

    def form_valid(self, form):
        lock = password_reset_attempt(
            email=form.cleaned_data["email"], ip_address=client_ip(self.request)
        )
        if lock is None:
            return super().form_valid(form)
        form.add_error(
            "email",
            f"Too many reset requests for this account or from this address: "
            f"{try_again_message(lock.until)}.",
        )
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(lock.retry_after)
        return response
