"""`Idempotency-Key` on every POST of the API, the way Stripe answers it.

The first request with a key claims it (a row committed before the view runs, unique per
caller and key); its answer is stored and replayed to every repeat for
IDEMPOTENCY_TTL, marked `Idempotent-Replayed: true`. A repeat whose method, path or body
differ answers 422 saying so; one that arrives while the first is still running answers
409 (retry it shortly). A 5xx, a 409 or a 429 is not kept (nothing was decided): the key
can be tried again. The caller is the credential — the token (by its digest) or the
signed-in user — so two integrations never share a key.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from socialops.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY = 255
IDEMPOTENCY_TTL = timedelta(hours=24)
API_PREFIX = "/api/v1/"
NOT_KEPT = {409, 429}


def _caller(request: HttpRequest) -> str | None:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _error(status: int, key: str, message: str) -> JsonResponse:
    return JsonResponse({HEADER: [message]}, status=status)


def _claim(caller: str, key: str, fingerprint: str) -> IdempotentRequest | None:
    """Our new claim (None) or the request that holds the key already."""
    for _ in range(2):
        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(caller=caller, key=key, fingerprint=fingerprint)
            return None
        except IntegrityError:
            held = IdempotentRequest.objects.filter(caller=caller, key=key).first()
            if held is None:
                continue  # expired and removed meanwhile: claim again
            if held.created_at > timezone.now() - IDEMPOTENCY_TTL:
                return held
            IdempotentRequest.objects.filter(pk=held.pk).delete()
    raise RuntimeError("could not claim an idempotency key")


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY:
            return _error(400, key, f"Give a key of 1 to {MAX_KEY} characters (a UUID).")
        caller = _caller(request)
        if caller is None:
            return self.get_response(request)  # refused as unauthenticated by the view
        try:
            body = request.body
        except Exception:  # too large, unreadable: the view answers it as usual
            return self.get_response(request)
        digest = hashlib.sha256()
        for part in (request.method, request.get_full_path(), request.content_type or ""):
            digest.update(part.encode() + b"\0")
        digest.update(body)
        fingerprint = digest.hexdigest()

        held = _claim(caller, key, fingerprint)
        if held is not None:
            if held.fingerprint != fingerprint:
                return _error(
                    422,
                    key,
                    "This key was already used with a different request (another path or "
                    "body). Use a new key for a new request.",
                )
            if held.status is None:
                response = _error(
                    409, key, "A request with this key is still being processed; retry shortly."
                )
                response["Retry-After"] = "1"
                return response
            response = HttpResponse(
                held.body, status=held.status, content_type=held.content_type or None
            )
            response["Idempotent-Replayed"] = "true"
            return response

        try:
            response = self.get_response(request)
        except BaseException:
            IdempotentRequest.objects.filter(caller=caller, key=key).delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            IdempotentRequest.objects.filter(caller=caller, key=key).delete()
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        IdempotentRequest.objects.filter(caller=caller, key=key).update(
            status=response.status_code,
            body=response.content.decode("utf-8", "replace"),
            content_type=response.get("Content-Type", ""),
        )
        return response
