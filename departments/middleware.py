"""The organisation's time zone for every request: dates and times are shown in it."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

from departments.selectors import organisation_get


class OrganisationTimezoneMiddleware:
    """Show every date and time in the organisation's time zone, whoever is looking."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Short-link redirects and probes need no organisation: keep them query-free.
        if request.path.startswith(("/static/", "/healthz", "/l/")):
            return self.get_response(request)
        organisation = organisation_get()
        request.organisation = organisation
        try:
            timezone.activate(zoneinfo.ZoneInfo(organisation.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
