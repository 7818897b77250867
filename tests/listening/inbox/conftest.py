"""The inbox's fixtures: a Customer service department, our account, and a helper that
puts posts through ingestion's inbox step as X sends them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from listening import client as x
from listening.inbox.services import messages_ingest
from listening.models import Source, SourceTweet, XAccount
from tests.factories import DepartmentFactory, MembershipFactory, TweetFactory, XUserFactory

_ids = itertools.count(1_950_000_000_000_000_000)


@pytest.fixture
def service(db):
    return DepartmentFactory(name="Customer service", kind="customer_service")


@pytest.fixture
def agent(service):
    """A member of Customer service: works its inbox."""
    return MembershipFactory(department=service, role="member").user


@pytest.fixture
def account(db):
    return XAccount.objects.create(username="brightline", x_user_id=783214, name="Brightline")


@pytest.fixture
def mentions(account, service):
    return Source.objects.create(
        name="Mentions", kind="mentions", account=account, department=service
    )


@pytest.fixture
def arrive():
    """arrive(source, text, author=None, conversation=None, reply_to_user=None, ...) →
    the post's id: stored and read by the source, then through the inbox step."""

    def _arrive(
        source: Source,
        text: str,
        *,
        author=None,
        conversation: int | None = None,
        reply_to_user: int | None = None,
        mentioning: tuple[str, ...] = ("brightline",),
        lang: str = "en",
        followers: int | None = None,
    ) -> int:
        author = author or XUserFactory(followers_count=followers)
        pk = next(_ids)
        data = {
            "id": str(pk),
            "text": text,
            "author_id": str(author.pk),
            "conversation_id": str(conversation or pk),
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "lang": lang,
            "entities": {"mentions": [{"username": m} for m in mentioning]},
        }
        if reply_to_user:
            data["in_reply_to_user_id"] = str(reply_to_user)
        TweetFactory(id=pk, author=author, text=text, conversation_id=conversation or pk, lang=lang)
        SourceTweet.objects.create(source=source, tweet_id=pk, seen_at=timezone.now())
        with transaction.atomic():
            messages_ingest(source=source, tweets=[x.tweet_values(data)], now=timezone.now())
        return pk

    return _arrive
