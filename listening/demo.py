"""Connect the demo organisation to the bundled X simulator: its account through the real
OAuth 2.0 PKCE flow, and the sources a new user wants to see filling (mentions, a brand
search, our own posts, follower counts, and a sales rep's private prospect list).

Run by `make run` before the worker starts (the simulator forgets its tokens when it
restarts, so every start reconnects). It never talks to anything but a loopback address.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from departments.models import Department, Membership
from listening import client as x
from listening.inbox import sending
from listening.inbox import services as inbox
from listening.inbox.models import (
    Agent,
    Conversation,
    DepartmentInbox,
    Reply,
    RoutingRule,
    SavedReply,
)
from listening.ingest import source_run
from listening.models import Source, XAccount
from listening.services import SCOPES, account_connect, source_create
from socialops.models import User

DEMO_ACCOUNT = "brightline"
REDIRECT_URI = "http://127.0.0.1:8000/listening/accounts/callback/"


def simulator_url() -> str | None:
    """The X API base URL when it is a loopback simulator; None for the real X."""
    parts = urlsplit(settings.X_API_BASE_URL)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return settings.X_API_BASE_URL.rstrip("/") if loopback else None


def wait_for_simulator(base: str, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/_sim/state", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def _authorise(base: str, username: str) -> x.TokenSet:
    """The PKCE flow as a browser would run it, with the simulator's approval shortcut."""
    verifier, challenge = x.pkce_pair()
    state = secrets.token_urlsafe(16)
    url = x.authorization_url(
        redirect_uri=REDIRECT_URI, state=state, challenge=challenge, scopes=SCOPES
    )
    answer = requests.get(f"{url}&xsim_approve={username}", allow_redirects=False, timeout=10)
    location = answer.headers.get("Location", "")
    query = parse_qs(urlsplit(location).query)
    if answer.status_code not in (302, 303) or query.get("state") != [state]:
        raise RuntimeError(f"the simulator did not approve @{username}: {answer.status_code}")
    return x.exchange_code(code=query["code"][0], verifier=verifier, redirect_uri=REDIRECT_URI)


def demo_x_setup(*, out=print) -> XAccount | None:
    base = simulator_url()
    if base is None:
        out("X_API_BASE_URL is not a loopback simulator: the demo connects nothing.")
        return None
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        out("No organisation admin yet: load the demo organisation first (demo_setup).")
        return None
    if not wait_for_simulator(base):
        out(f"The X simulator at {base} did not answer; the demo account is not connected.")
        return None
    tokens = _authorise(base, DEMO_ACCOUNT)
    me = x.XClient(token=tokens.access_token).me()
    account = account_connect(actor=admin, tokens=tokens, me=me)
    created = _demo_sources(account=account, admin=admin)
    _demo_inbox(admin=admin)
    out(
        f"Connected @{account.username} to the X simulator at {base}"
        + (f"; added {created} sources." if created else ".")
    )
    return account


@transaction.atomic
def _demo_sources(*, account: XAccount, admin: User) -> int:
    if Source.objects.filter(account=account).exists():
        # A restart: pull at once instead of waiting for the intervals.
        Source.objects.filter(account=account).update(next_run_at=timezone.now())
        return 0
    departments = {d.kind: d for d in Department.objects.all()}
    every = timedelta(seconds=30)
    specs: list[tuple[User, dict]] = [
        (
            admin,
            {
                "name": "Mentions of @brightline",
                "kind": Source.Kind.MENTIONS,
                "department": departments.get(Department.Kind.CUSTOMER_SERVICE),
                "interval": every,
            },
        ),
        (
            admin,
            {
                "name": "Brand search",
                "kind": Source.Kind.SEARCH,
                "query": 'brightline OR "brightline software" -is:retweet',
                "department": departments.get(Department.Kind.PR),
                "interval": every,
            },
        ),
        (
            admin,
            {
                "name": "Our posts",
                "kind": Source.Kind.OWN_POSTS,
                "department": departments.get(Department.Kind.MARKETING),
                "interval": timedelta(minutes=2),
            },
        ),
        (
            admin,
            {"name": "Followers", "kind": Source.Kind.FOLLOWERS, "interval": timedelta(hours=1)},
        ),
    ]
    rep = (
        Membership.objects.filter(
            department__kind=Department.Kind.SALES, role=Membership.Role.MEMBER
        )
        .select_related("user", "department")
        .first()
    )
    if rep is not None:
        lists = x.XClient(token=account.access_token).owned_lists(account.x_user_id)
        private = next((item for item in lists if item.private), None)
        if private is not None:
            specs.append(
                (
                    rep.user,
                    {
                        "name": f"{private.name} ({rep.user.first_name}'s prospects)",
                        "kind": Source.Kind.LIST,
                        "x_list_id": private.id,
                        "is_private": True,
                        "department": rep.department,
                        "interval": every,
                    },
                )
            )
    for actor, fields in specs:
        source_create(actor=actor, account=account, **fields)
    return len(specs)


@transaction.atomic
def _demo_inbox(*, admin: User) -> None:
    """The inbox's demo set-up (once): rules that send press to PR and buying signals to
    Sales, Customer service assigning round robin to its members, and saved replies. The
    conversations themselves arrive with the mentions; a private prospect list's go to
    its owner's department (Sales) without a rule."""
    if RoutingRule.objects.exists():
        return
    departments = {d.kind: d for d in Department.objects.all()}
    pr, sales = departments.get(Department.Kind.PR), departments.get(Department.Kind.SALES)
    service = departments.get(Department.Kind.CUSTOMER_SERVICE)
    if pr is not None:
        inbox.routing_rule_create(
            actor=admin,
            name="Press",
            keywords="journalist, article, press, interview, comment",
            department=pr,
            priority="high",
        )
    if sales is not None:
        inbox.routing_rule_create(
            actor=admin,
            name="Buying signals",
            keywords="pricing, demo, quote, evaluating, vendor",
            exclude_keywords="refund, charged",
            department=sales,
        )
    if service is None:
        return
    inbox.inbox_default_set(actor=admin, department=service)
    DepartmentInbox.objects.get_or_create(
        department=service, defaults={"assignment": DepartmentInbox.Assignment.ROUND_ROBIN}
    )
    for membership in Membership.objects.filter(
        department=service, role__in=[Membership.Role.LEAD, Membership.Role.MEMBER]
    ):
        Agent.objects.get_or_create(department=service, user=membership.user)
    SavedReply.objects.get_or_create(
        department=service,
        title="Refund under way",
        defaults={"text": "Sorry about that! We have started your refund; it shows in 3-5 days."},
    )
    SavedReply.objects.get_or_create(
        department=service,
        title="Ask for a DM",
        defaults={"text": "Thanks for telling us. Could you send us a DM with your account email?"},
    )


# Three different answers: X refuses a post that repeats one of the account's own.
DEMO_REPLIES = [
    "Thanks for telling us. Could you send us a DM with your account email?",
    "Sorry about that! We are looking into it now and will come back to you here.",
    "Thanks for the heads-up: our team has it, and we will update you within the hour.",
]
DEMO_DM = "Thanks for writing! We are on it: expect an answer from us here within the hour."


def demo_inbox_answers(*, account: XAccount, out=print) -> int:
    """After the first reads (the worker's own pulls start later, `make run` runs this
    before it): a few of Customer service's conversations answered on the simulator and
    a DM thread answered, so the inbox shows replies sent, first-response times and a
    DM conversation. Once: a restart finds replies sent and adds none. The number of
    answers sent."""
    if Reply.objects.filter(state=Reply.State.SENT).exists():
        return 0
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    service = Department.objects.filter(kind=Department.Kind.CUSTOMER_SERVICE).first()
    if admin is None or service is None:
        return 0
    if not Source.objects.filter(account=account, kind=Source.Kind.DMS).exists():
        source_create(
            actor=admin,
            account=account,
            name="Direct messages",
            kind=Source.Kind.DMS,
            department=service,
            interval=timedelta(seconds=30),
        )
    for source in Source.objects.filter(
        account=account, kind__in=[Source.Kind.MENTIONS, Source.Kind.DMS]
    ):
        source_run(source_id=source.pk)
    public = Conversation.objects.filter(
        department=service, kind=Conversation.Kind.PUBLIC, status="open", private_to=None
    ).order_by("first_message_at", "pk")[:3]
    dm = (
        Conversation.objects.filter(kind=Conversation.Kind.DM, status="open")
        .order_by("-last_message_at", "-pk")
        .first()
    )
    sent = 0
    for conversation, kind, text in [
        *((c, Reply.Kind.REPLY, t) for c, t in zip(public, DEMO_REPLIES, strict=False)),
        *([(dm, Reply.Kind.DM, DEMO_DM)] if dm else []),
    ]:
        sent += _demo_answer(conversation, kind=kind, text=text, admin=admin)
    out(f"Answered {sent} inbox conversations on the X simulator (one of them a DM).")
    return sent


def _demo_answer(conversation: Conversation, *, kind: str, text: str, admin: User) -> int:
    inbound = conversation.messages.filter(direction="in")
    if kind != Reply.Kind.DM:
        inbound = inbound.exclude(tweet=None)
    message = inbound.last()
    if message is None:
        return 0
    member = (
        Membership.objects.filter(
            department_id=conversation.department_id,
            role__in=[Membership.Role.LEAD, Membership.Role.MEMBER],
        )
        .select_related("user")
        .first()
    )
    agent = conversation.assignee or (member.user if member else admin)
    reply = sending.reply_create(
        actor=agent,
        conversation=conversation,
        message=message,
        text=text,
        version=conversation.version,
        kind=kind,
    )
    # Sent here rather than by the worker: the demo shows it at once. The task queued
    # on commit finds it sent and does nothing.
    try:
        return int(sending.reply_send(reply_id=reply.pk) == Reply.State.SENT)
    except x.XError:
        return 0  # the task queued on commit retries it
