"""Routing: which department a new conversation goes to, and why.

1. The organisation's enabled rules, in order: the first whose every condition holds
   places it (and may set its priority); the conversation records the rule.
2. No rule: the source's department — a private prospect list's owner's department
   (a rep's list routes to Sales), else the department set on the source.
3. Else the organisation's default department (InboxSettings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from departments.models import Department, Membership
from listening.inbox.models import Conversation, InboxSettings, RoutingRule
from listening.models import Source, XAccount, XUser


@dataclass(frozen=True)
class Incoming:
    """What a rule looks at: one inbound message."""

    text: str
    kind: str
    account: XAccount
    source: Source | None
    author: XUser | None
    lang: str = ""
    sentiment: str = ""


@dataclass(frozen=True)
class Route:
    department: Department | None
    routed_by: str
    rule: RoutingRule | None = None
    priority: str = ""


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def rule_matches(rule: RoutingRule, message: Incoming) -> bool:
    text = message.text.lower()
    words = RoutingRule.words(rule.keywords)
    if words and not any(_has_word(text, w) for w in words):
        return False
    if any(_has_word(text, w) for w in RoutingRule.words(rule.exclude_keywords)):
        return False
    if rule.message_kind and rule.message_kind != message.kind:
        return False
    if rule.account_id and rule.account_id != message.account.pk:
        return False
    if rule.source_id and (message.source is None or rule.source_id != message.source.pk):
        return False
    author = message.author
    if rule.min_followers is not None and (
        author is None or (author.followers_count or 0) < rule.min_followers
    ):
        return False
    if rule.verified:
        verified = bool(author and author.verified)
        if verified != (rule.verified == RoutingRule.Verified.YES):
            return False
    if rule.language and rule.language.lower() != (message.lang or "").lower():
        return False
    return not (rule.sentiment and rule.sentiment != message.sentiment)


def owner_department(user_id: int | None) -> Department | None:
    """The department a private list's owner works in (their first membership that
    edits: a lead's or member's, then any)."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.filter(user_id=user_id)
        .select_related("department")
        .order_by("role", "pk")  # "lead" < "member" < "viewer"
        .first()
    )
    return membership.department if membership else None


def source_route(source: Source | None) -> Route | None:
    if source is None:
        return None
    if source.is_private:
        department = owner_department(source.owner_id)
        if department is not None:
            return Route(department, Conversation.RoutedBy.PRIVATE_LIST)
    if source.department_id:
        return Route(source.department, Conversation.RoutedBy.SOURCE)
    return None


def default_route() -> Route:
    settings = InboxSettings.objects.select_related("default_department").filter(pk=1).first()
    department = settings.default_department if settings else None
    if department is None:
        department = Department.objects.filter(kind=Department.Kind.CUSTOMER_SERVICE).first()
    return Route(department, Conversation.RoutedBy.DEFAULT)


def route(message: Incoming, rules: list[RoutingRule] | None = None) -> Route:
    """Where the message's new conversation goes (see the module's steps)."""
    if rules is None:
        rules = list(RoutingRule.objects.filter(enabled=True).select_related("department"))
    for rule in rules:
        if rule_matches(rule, message):
            return Route(rule.department, Conversation.RoutedBy.RULE, rule, rule.priority)
    return source_route(message.source) or default_route()
