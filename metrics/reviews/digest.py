"""The e-mail digest to representatives: when a review opens (what needs commentary in
their department, the open action items they own) and when it closes (the link to the
frozen record, the PDF attached)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from metrics.reviews import permissions as perms
from metrics.reviews import selectors
from metrics.reviews.models import ActionItem, Review


def send(*, review: Review, kind: str) -> int:
    content = selectors.review_content(review=review)
    reps = perms.representatives_by_department()
    url = settings.SITE_URL.rstrip("/") + review.get_absolute_url()
    by_user: dict[int, dict] = {}
    for department in content["departments"]:
        for membership in reps.get(department["id"], []):
            user = membership.user
            if not user.email:
                continue
            entry = by_user.setdefault(user.pk, {"user": user, "departments": []})
            entry["departments"].append(department)
    if kind == "close":
        pdf_bytes = bytes(review.frozen_pdf) if review.frozen_pdf else None
    messages = []
    for entry in by_user.values():
        user = entry["user"]
        items = ActionItem.objects.filter(owner=user, status=ActionItem.Status.OPEN).order_by(
            "due", "pk"
        )
        context = {
            "review": review,
            "content": content,
            "user": user,
            "departments": entry["departments"],
            "items": list(items.select_related("department", "raised_in")),
            "url": url,
            "kind": kind,
        }
        subject = (
            f"Steering review {review.week} is open"
            if kind == "open"
            else f"Steering review {review.week} is closed"
        )
        body = render_to_string("metrics/reviews/digest.txt", context)
        message = EmailMessage(subject, body, to=[user.email])
        if kind == "close":
            if pdf_bytes:
                message.attach(f"review-{review.week}.pdf", pdf_bytes, "application/pdf")
            else:
                message.attach(
                    f"review-{review.week}.json",
                    json.dumps(json.loads(review.frozen_json), indent=2),
                    "application/json",
                )
        messages.append(message)
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
