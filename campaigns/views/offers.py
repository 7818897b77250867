from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/placeholder.html", {"title": "Offers"})
