from __future__ import annotations


def organisation(request):
    return {"organisation": getattr(request, "organisation", None)}
