"""The deterministic synthetic world: who exists, what they post, and how to find it.

Everything derives from the seed and the start epoch: the population (our two accounts,
customers, prospects, journalists, detractors, the public), the lists, and one lazy
:class:`~xsim.store.Stream` per kind of activity. Posts before the start epoch are the
world's history; posts after it arrive as simulated time passes. Two worlds built from
the same seed and start, asked the same things at the same simulated instants, are the
same.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from xsim import content as c
from xsim.clock import parse_iso, snowflake
from xsim.model import DmEvent, Tweet, User, XList
from xsim.query import SearchDoc
from xsim.store import (
    INF_ID,
    Draft,
    IdAllocator,
    Stream,
    TweetIndex,
    insert_sorted,
    merged_asc,
    merged_desc,
)

HOUR = 3600.0
DAY = 86400.0

# Worker numbers keep every stream's snowflakes apart (and tell a lookup which stream to
# catch up for a given id).
W_MENTIONS, W_CHATTER, W_CUSTOMERS, W_PROSPECTS, W_PRESS, W_OWN, W_DMS = 1, 2, 3, 4, 5, 6, 7
W_USERS, W_LISTS, W_INJECTED_USERS = 20, 21, 22
W_MANUAL, W_MANUAL_DMS = 30, 31

URL_RE = re.compile(r"https?://[^\s]+")
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})")
TCO_ALPHABET = string.ascii_letters + string.digits
MENTION_BACKLOG = 3000  # mentions of history at most, whatever the rate


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"xsim:{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def weighted(rng: random.Random, pairs: Iterable[tuple[str, float]]) -> str:
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


@dataclass(frozen=True, slots=True)
class Window:
    """Ids strictly between ``lo`` and ``hi``."""

    lo: int = 0
    hi: int = INF_ID

    def narrow(self, lo: int = 0, hi: int = INF_ID) -> Window:
        return Window(max(self.lo, lo), min(self.hi, hi))


@dataclass(slots=True)
class Page:
    ids: list[int]
    more_older: bool
    more_newer: bool


class _Slots(dict):
    """Template slots filled on first use, in text order, from the stream's generator."""

    def __init__(self, world: World, rng: random.Random, known: dict[str, str]) -> None:
        super().__init__(known)
        self.world, self.rng = world, rng
        self.urls: list[tuple[str, str]] = []
        self.link_host = "brightline.example"

    def __missing__(self, key: str) -> str:
        rng = self.rng
        pools: dict[str, Callable[[], str]] = {
            "erp": lambda: rng.choice(c.ERPS),
            "feature": lambda: rng.choice(c.FEATURES),
            "competitor": lambda: rng.choice(c.COMPETITORS),
            "agent": lambda: rng.choice(c.SUPPORT_AGENTS),
            "outlet": lambda: rng.choice(c.OUTLETS),
            "city": lambda: rng.choice(c.CITIES),
            "event": lambda: rng.choice(c.EVENTS),
            "headline": lambda: rng.choice(c.HEADLINES),
            "topic": lambda: rng.choice(c.TOPICS),
            "day": lambda: rng.choice(c.DAYS),
            "customer": lambda: rng.choice(c.CUSTOMER_COMPANIES),
            "company": lambda: rng.choice(c.CUSTOMER_COMPANIES),
            "ticket": lambda: str(rng.randint(10000, 99999)),
            "n": lambda: str(rng.choice((3, 5, 12, 20, 25, 40, 50, 80, 150, 200, 500))),
            "months": lambda: str(rng.randint(2, 6)),
            "pct": lambda: str(rng.choice((18, 25, 30, 40, 45, 60))),
            "series": lambda: rng.choice("ABC"),
            "url": self._url,
        }
        value = pools[key]()
        if key != "url":  # a second {url} in one template is a second link
            self[key] = value
        return value

    def _url(self) -> str:
        rng = self.rng
        code = "".join(rng.choice(TCO_ALPHABET) for _ in range(10))
        slug = "-".join(rng.choice(c.TOPICS).split()[:3])
        path = rng.choice(c.LINK_PATHS).format(slug=slug)
        tco = f"https://t.co/{code}"
        self.urls.append((tco, f"https://{self.link_host}/{path}"))
        return tco


class World:
    """Users, lists, lazy post streams and DMs, for one seed and start epoch."""

    def __init__(self, *, seed: int, start: float, mention_rate: float = 120.0) -> None:
        self.seed = seed
        self.start = float(start)
        self.now = self.start
        self.users: dict[int, User] = {}
        self.by_username: dict[str, User] = {}
        self.roles: dict[str, list[int]] = {}
        self.lists: dict[int, XList] = {}
        self.tweets: dict[int, Tweet] = {}
        self.docs: dict[int, SearchDoc] = {}
        self.dm_events: dict[int, DmEvent] = {}
        self.dm_by_user: dict[int, list[int]] = {}
        self.dm_by_conversation: dict[str, list[int]] = {}
        self.dm_conversations: dict[str, tuple[int, ...]] = {}
        self.manual = TweetIndex()
        self.manual_ids = IdAllocator(W_MANUAL)
        self.manual_dm_ids = IdAllocator(W_MANUAL_DMS)
        self.injected_user_ids = IdAllocator(W_INJECTED_USERS)
        self.posted: list[int] = []
        self.submitted: dict[int, str] = {}  # posted id -> the text as sent (before t.co)
        self.dms_sent: list[int] = []
        self._followers: dict[int, list[int]] = {}
        self._build_population()
        self._build_lists()
        self._build_streams(mention_rate)

    # --- population ---------------------------------------------------------------------

    def _add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.by_username[user.username.lower()] = user
        self.roles.setdefault(user.role, []).append(user.id)
        return user

    def _unique_username(self, rng: random.Random, first: str, last: str) -> str:
        first_l = re.sub(r"[^a-z]", "", first.lower())
        last_l = re.sub(r"[^a-z]", "", last.lower())
        candidates = [
            f"{first_l}_{last_l}",
            f"{first_l}{last_l}",
            f"{first_l[0]}{last_l}",
            f"{first_l}{last_l[:1]}{rng.randint(1, 99)}",
        ]
        for candidate in candidates:
            name = candidate[:15]
            if name.lower() not in self.by_username:
                return name
        while True:
            name = f"{first_l[:8]}{rng.randint(100, 99999)}"[:15]
            if name not in self.by_username:
                return name

    def _build_population(self) -> None:
        rng = random.Random(derive_seed(self.seed, "population"))
        counter = iter(range(1 << 20))

        def new_id(created_at: float) -> int:
            n = next(counter)
            return snowflake(int(created_at * 1000), W_USERS + n // 4096, n % 4096)

        def created_between(first_year: int, last_year: int) -> float:
            lo = parse_iso(f"{first_year}-01-01T00:00:00Z")
            hi = min(parse_iso(f"{last_year}-12-31T00:00:00Z"), self.start - 30 * DAY)
            return rng.uniform(lo, hi)

        def image_key() -> str:
            return "".join(rng.choice(TCO_ALPHABET) for _ in range(8))

        created = parse_iso("2014-03-12T09:30:00Z")
        self.company = self._add_user(
            User(
                id=new_id(created),
                username=c.BRAND_ACCOUNT,
                name="Brightline Software",
                created_at=created,
                role="company",
                description=c.COMPANY_BIO,
                location="Amsterdam · Boston",
                url="https://brightline.example",
                verified=True,
                verified_type="business",
                followers_count=48_000 + rng.randint(0, 900),
                following_count=812,
                tweet_count=6_400 + rng.randint(0, 300),
                listed_count=391,
                like_count=2_210,
                company="Brightline Software",
                image_key=image_key(),
            )
        )
        created = parse_iso("2016-09-01T08:00:00Z")
        self.support = self._add_user(
            User(
                id=new_id(created),
                username=c.SUPPORT_ACCOUNT,
                name="Brightline Support",
                created_at=created,
                role="support",
                description=c.SUPPORT_BIO,
                location="Amsterdam",
                url="https://help.brightline.example",
                verified=True,
                verified_type="business",
                followers_count=9_100 + rng.randint(0, 400),
                following_count=140,
                tweet_count=21_000 + rng.randint(0, 900),
                listed_count=77,
                like_count=5_300,
                company="Brightline Software",
                image_key=image_key(),
            )
        )

        def person(role: str, description: str, company: str = "", **extra: object) -> User:
            first, last = rng.choice(c.FIRST_NAMES), rng.choice(c.LAST_NAMES)
            created_at = created_between(2011, 2024)
            followers = int(rng.lognormvariate(5.2, 1.3))
            return self._add_user(
                User(
                    id=new_id(created_at),
                    username=self._unique_username(rng, first, last),
                    name=f"{first} {last}",
                    created_at=created_at,
                    role=role,
                    description=description,
                    location=rng.choice(c.CITIES) if rng.random() < 0.8 else "",
                    followers_count=followers,
                    following_count=int(rng.lognormvariate(5.0, 1.0)),
                    tweet_count=int(rng.lognormvariate(6.5, 1.4)),
                    listed_count=int(followers * rng.uniform(0.0, 0.03)),
                    like_count=int(rng.lognormvariate(6.0, 1.5)),
                    company=company,
                    image_key=image_key(),
                    **extra,  # type: ignore[arg-type]
                )
            )

        titles = ("Finance Manager", "Controller", "AP Lead", "Head of Finance", "CFO", "FP&A")
        for i in range(140):
            company = rng.choice(c.CUSTOMER_COMPANIES)
            # One account withheld in a country, as real lists have: X then adds
            # "withheld" to the user even when no one asked for that field.
            withheld = ("TR",) if i == 37 else ()
            person(
                "customer",
                f"{rng.choice(titles)} at {company}. Views my own.",
                company,
                withheld_in=withheld,
            )
        for company in c.TARGET_COMPANIES:
            title = rng.choice(("CEO", "CEO", "CFO", "COO"))
            person(
                "prospect",
                f"{title} at {company}. Building the future of {rng.choice(c.INDUSTRIES)}.",
                company,
                verified=rng.random() < 0.5,
                verified_type="blue",
            )
        for outlet in c.OUTLETS:
            person(
                "journalist",
                f"Reporter at {outlet}. Fintech, SaaS and the back office. Tips via DM.",
                outlet,
                verified=True,
                verified_type="blue",
            )
        grudges = (
            "Ex-finance, now just tired.",
            "I say what others think. Opinions my own.",
            "Former customer of everything.",
        )
        for _ in range(6):
            person("detractor", rng.choice(grudges))
        bios = (
            "Coffee, spreadsheets, cycling.",
            "Accountant by day, baker by night.",
            "Ops nerd. Dad of two.",
            "Startups, SaaS, and sometimes football.",
            "",
            "Product person. Cat person.",
            "Numbers tell stories.",
        )
        for i in range(300):
            person("public", rng.choice(bios), protected=(i % 97 == 13))
        self.authors_by_role = {
            role: [uid for uid in ids if not self.users[uid].protected]
            for role, ids in self.roles.items()
        }

    def _build_lists(self) -> None:
        rng = random.Random(derive_seed(self.seed, "lists"))

        def make(
            name: str,
            owner: User,
            private: bool,
            description: str,
            members: list[int],
            created: str,
            followers: int,
        ) -> XList:
            created_at = parse_iso(created)
            xlist = XList(
                id=snowflake(int(created_at * 1000), W_LISTS, len(self.lists)),
                name=name,
                owner_id=owner.id,
                private=private,
                created_at=created_at,
                description=description,
                member_ids=list(members),
                follower_count=followers,
            )
            self.lists[xlist.id] = xlist
            return xlist

        customers = self.roles["customer"]
        self.key_prospects = make(
            "Key prospects",
            self.company,
            True,
            "Target accounts this quarter. Sales only.",
            self.roles["prospect"],
            "2023-01-16T10:00:00Z",
            0,
        )
        self.industry_press = make(
            "Industry press",
            self.company,
            False,
            "Journalists covering finance software",
            self.roles["journalist"],
            "2019-05-02T12:00:00Z",
            120 + rng.randint(0, 40),
        )
        self.customers_list = make(
            "Customers & partners",
            self.company,
            False,
            "People at companies that run on Brightline",
            customers,
            "2018-11-20T15:00:00Z",
            40 + rng.randint(0, 20),
        )
        escalated = rng.sample(customers, 6)
        self.escalations = make(
            "Escalations",
            self.support,
            True,
            "Accounts to handle with care",
            self.roles["detractor"] + escalated,
            "2021-06-07T08:00:00Z",
            0,
        )

    # --- streams ------------------------------------------------------------------------

    def _build_streams(self, mention_rate: float) -> None:
        org = frozenset({self.company.id, self.support.id})
        everyone = frozenset(uid for uid, u in self.users.items() if not u.protected)
        people = everyone - org

        def stream(
            name: str,
            worker: int,
            rate: float,
            history: float,
            generate: Callable[[random.Random, float], Draft | None],
            authors: frozenset[int],
            mentionable: frozenset[int] = frozenset(),
        ) -> Stream:
            s = Stream(
                name=name,
                worker=worker,
                rate_per_hour=rate,
                start=self.start - history,
                seed=derive_seed(self.seed, f"stream:{name}"),
                generate=generate,
                authors=authors,
                mentionable=mentionable,
                materialise=self._materialise_tweet,
            )
            self.streams[name] = s
            self.stream_by_worker[worker] = s
            return s

        self.streams: dict[str, Stream] = {}
        self.stream_by_worker: dict[int, Stream] = {}
        # Own posts first: mentions retweet and reply to them.
        stream("own", W_OWN, 0.2, 45 * DAY, self._gen_own, org)
        backlog = min(DAY, MENTION_BACKLOG / max(mention_rate, 1e-9) * HOUR)
        stream("mentions", W_MENTIONS, mention_rate, backlog, self._gen_mention, people, org)
        stream("chatter", W_CHATTER, 6.0, 7.5 * DAY, self._gen_chatter, people)
        customers = frozenset(self.authors_by_role["customer"])
        stream("customers", W_CUSTOMERS, 8.0, 10 * DAY, self._gen_customer, customers)
        prospects = frozenset(self.authors_by_role["prospect"])
        stream("prospects", W_PROSPECTS, 1.5, 14 * DAY, self._gen_prospect, prospects)
        journalists = frozenset(self.authors_by_role["journalist"])
        stream("press", W_PRESS, 3.0, 14 * DAY, self._gen_press, journalists)
        self.dm_stream = Stream(
            name="dms",
            worker=W_DMS,
            rate_per_hour=1.0,
            start=self.start - 7 * DAY,
            seed=derive_seed(self.seed, "stream:dms"),
            generate=self._gen_dm,
            authors=people,
            materialise=self._materialise_dm,
        )

    def until(self) -> float:
        # Catch up through the current millisecond, so no later event can get an id at or
        # below one already served (the since_id contract).
        return (math.floor(self.now * 1000) + 1) / 1000

    def _draft(self, rng: random.Random, author_id: int, template: str, **kw: object) -> Draft:
        known = {k: v for k, v in kw.items() if isinstance(v, str)}
        slots = _Slots(self, rng, known)
        if "link_host" in kw:
            slots.link_host = str(kw["link_host"])
        text = template.format_map(slots)
        mentions = tuple(
            u.id for name in MENTION_RE.findall(text) if (u := self.by_username.get(name.lower()))
        )
        return Draft(author_id=author_id, text=text, mention_ids=mentions, urls=tuple(slots.urls))

    def _pick(self, rng: random.Random, *roles: tuple[str, float]) -> int:
        role = weighted(rng, roles)
        return rng.choice(self.authors_by_role[role])

    def _brand(self, rng: random.Random, kind: str) -> str:
        support_share = {"question": 0.5, "complaint": 0.55, "foreign": 0.4}.get(kind, 0.1)
        if rng.random() < 0.08:
            return "@brightline @brightline_help"
        return "@brightline_help" if rng.random() < support_share else "@brightline"

    def _recent_own(self, rng: random.Random, ts: float) -> Tweet | None:
        own = self.streams["own"]
        own.catch_up(ts)
        ids = own.index.by_author.get(self.company.id, [])
        if not ids:
            return None
        return self.tweets[ids[-1 - min(len(ids) - 1, int(rng.expovariate(0.7)))]]

    def _gen_mention(self, rng: random.Random, ts: float) -> Draft | None:
        kind = weighted(rng, c.MENTION_MIX)
        brand = self._brand(rng, kind)
        if kind in ("retweet", "reply"):
            parent = self._recent_own(rng, ts)
            if parent is None:
                kind = "question"
            elif kind == "retweet":
                author = self._pick(rng, ("customer", 0.5), ("public", 0.4), ("journalist", 0.1))
                text = f"RT @{c.BRAND_ACCOUNT}: {parent.text}"
                if len(text) > 280:
                    text = text[:279] + "…"
                draft = Draft(
                    author_id=author,
                    text=text,
                    kind="retweet",
                    mention_ids=(self.company.id,),
                    urls=parent.urls,
                    retweet_of=parent,
                )
                return self._finish(rng, draft, reach=(20, 800))
            else:
                author = self._pick(rng, ("customer", 0.6), ("public", 0.4))
                draft = self._draft(rng, author, rng.choice(c.REPLY_REACTIONS), brand="@brightline")
                draft.kind, draft.reply_to = "reply", parent
                return self._finish(rng, draft, reach=(20, 600))
        if kind == "foreign":
            lang, template = rng.choice(c.FOREIGN)
            author = self._pick(rng, ("customer", 0.6), ("public", 0.4))
            draft = self._draft(rng, author, template, brand=brand)
            draft.kind, draft.lang = "foreign", lang
            return self._finish(rng, draft)
        if kind == "complaint" and rng.random() < 0.25:
            author = rng.choice(self.authors_by_role["detractor"])
            draft = self._draft(rng, author, rng.choice(c.DETRACTOR), brand=brand)
            draft.kind = "complaint"
            return self._finish(rng, draft, reach=(200, 5000))
        templates, authors = {
            "question": (c.QUESTION, (("customer", 0.6), ("public", 0.4))),
            "complaint": (c.COMPLAINT, (("customer", 0.6), ("public", 0.4))),
            "praise": (c.PRAISE, (("customer", 0.7), ("public", 0.3))),
            "buying_signal": (c.BUYING_SIGNAL, (("prospect", 0.3), ("public", 0.7))),
            "press": (c.PRESS, (("journalist", 1.0),)),
        }[kind]
        author = self._pick(rng, *authors)
        link_host = "brightline.example"
        if kind == "press":
            link_host = self.users[author].company.lower().replace(" ", "") + ".example"
        draft = self._draft(rng, author, rng.choice(templates), brand=brand, link_host=link_host)
        draft.kind = kind
        return self._finish(rng, draft, reach=(500, 20000) if kind == "press" else (20, 2000))

    def _finish(
        self, rng: random.Random, draft: Draft, reach: tuple[int, int] = (20, 2000)
    ) -> Draft:
        draft.reach = int(math.exp(rng.uniform(math.log(reach[0]), math.log(reach[1]))))
        draft.engage = rng.uniform(0.003, 0.04)
        draft.ctr = rng.uniform(0.005, 0.03) if draft.urls else 0.0
        draft.source = rng.choice(c.SOURCES)
        return draft

    def _gen_own(self, rng: random.Random, ts: float) -> Draft:
        if rng.random() < 0.7:
            draft = self._draft(rng, self.company.id, rng.choice(c.OWN_POSTS))
            draft.kind = "own"
            return self._finish(rng, draft, reach=(3000, 40000))
        draft = self._draft(rng, self.support.id, rng.choice(c.SUPPORT_POSTS))
        draft.kind = "own"
        return self._finish(rng, draft, reach=(500, 6000))

    def _gen_chatter(self, rng: random.Random, ts: float) -> Draft:
        author = self._pick(rng, ("public", 0.7), ("customer", 0.3))
        draft = self._draft(rng, author, rng.choice(c.CHATTER))
        draft.kind = "chatter"
        return self._finish(rng, draft)

    def _gen_customer(self, rng: random.Random, ts: float) -> Draft:
        author = rng.choice(self.authors_by_role["customer"])
        draft = self._draft(
            rng, author, rng.choice(c.CUSTOMER_POSTS), company=self.users[author].company
        )
        draft.kind = "customer_post"
        return self._finish(rng, draft)

    def _gen_prospect(self, rng: random.Random, ts: float) -> Draft:
        author = rng.choice(self.authors_by_role["prospect"])
        draft = self._draft(
            rng, author, rng.choice(c.PROSPECT_POSTS), company=self.users[author].company
        )
        draft.kind = "prospect_post"
        return self._finish(rng, draft, reach=(300, 8000))

    def _gen_press(self, rng: random.Random, ts: float) -> Draft:
        author = rng.choice(self.authors_by_role["journalist"])
        host = self.users[author].company.lower().replace(" ", "") + ".example"
        draft = self._draft(rng, author, rng.choice(c.PRESS_POSTS), link_host=host)
        draft.kind = "press_post"
        return self._finish(rng, draft, reach=(1000, 30000))

    def _gen_dm(self, rng: random.Random, ts: float) -> Draft:
        sender = self._pick(rng, ("customer", 0.8), ("prospect", 0.2))
        recipient = self.support.id if rng.random() < 0.7 else self.company.id
        draft = self._draft(
            rng, sender, rng.choice(c.DMS_IN), company=self.users[sender].company or "our company"
        )
        draft.mention_ids = (recipient,)  # the DM's recipient, for _materialise_dm
        return draft

    # --- materialising ------------------------------------------------------------------

    def _materialise_tweet(self, stream: Stream, draft: Draft, ts: float) -> Tweet:
        return self._store(stream.ids.allocate(ts), draft, ts, stream.index, "stream")

    def _store(
        self, tweet_id: int, draft: Draft, ts: float, index: TweetIndex, origin: str
    ) -> Tweet:
        conversation_id, in_reply_to_user_id = tweet_id, None
        referenced: tuple[tuple[str, int], ...] = ()
        if draft.reply_to is not None:
            referenced = (("replied_to", draft.reply_to.id),)
            conversation_id = draft.reply_to.conversation_id
            in_reply_to_user_id = draft.reply_to.author_id
        elif draft.retweet_of is not None:
            referenced = (("retweeted", draft.retweet_of.id),)
        tweet = Tweet(
            id=tweet_id,
            author_id=draft.author_id,
            text=draft.text,
            created_at=ts,
            lang=draft.lang,
            conversation_id=conversation_id,
            in_reply_to_user_id=in_reply_to_user_id,
            referenced=referenced,
            mention_ids=draft.mention_ids,
            urls=draft.urls,
            kind=draft.kind,
            source=draft.source,
            reach=draft.reach,
            engage=draft.engage,
            ctr=draft.ctr,
            origin=origin,
        )
        self.tweets[tweet_id] = tweet
        index.add(tweet)
        return tweet

    def _materialise_dm(self, stream: Stream, draft: Draft, ts: float) -> DmEvent:
        sender, recipient = draft.author_id, draft.mention_ids[0]
        return self._store_dm(
            stream.ids.allocate(ts),
            sender,
            conversation_id(sender, recipient),
            (sender, recipient),
            draft.text,
            ts,
        )

    def _store_dm(
        self,
        event_id: int,
        sender_id: int,
        conversation: str,
        participants: tuple[int, ...],
        text: str,
        ts: float,
        event_type: str = "MessageCreate",
    ) -> DmEvent:
        members = self.dm_conversations.setdefault(conversation, tuple(sorted(set(participants))))
        event = DmEvent(
            id=event_id,
            conversation_id=conversation,
            sender_id=sender_id,
            participant_ids=members,
            text=text,
            created_at=ts,
            event_type=event_type,
        )
        self.dm_events[event_id] = event
        for uid in members:
            insert_sorted(self.dm_by_user.setdefault(uid, []), event_id)
        insert_sorted(self.dm_by_conversation.setdefault(conversation, []), event_id)
        return event

    # --- lookups ------------------------------------------------------------------------

    def user_by_username(self, username: str) -> User | None:
        return self.by_username.get(username.lower())

    def tweet(self, tweet_id: int) -> Tweet | None:
        tweet = self.tweets.get(tweet_id)
        if tweet is None:
            stream = self.stream_by_worker.get((tweet_id >> 12) & 0x3FF)
            if stream is not None:
                stream.catch_up(self.until())
                tweet = self.tweets.get(tweet_id)
        if tweet is None or tweet.deleted or tweet.created_at > self.now + 0.001:
            return None
        return tweet

    def doc(self, tweet: Tweet) -> SearchDoc:
        doc = self.docs.get(tweet.id)
        if doc is None:
            author = self.users[tweet.author_id]
            reply_to = self.users.get(tweet.in_reply_to_user_id or 0)
            doc = SearchDoc.build(
                text=tweet.text,
                author=author.username,
                lang=tweet.lang,
                mentions=[self.users[m].username for m in tweet.mention_ids if m in self.users],
                urls=[expanded for _, expanded in tweet.urls],
                is_retweet=tweet.is_retweet,
                is_reply=tweet.is_reply,
                is_quote=tweet.is_quote,
                conversation_id=str(tweet.conversation_id),
                in_reply_to=reply_to.username if reply_to else "",
            )
            self.docs[tweet.id] = doc
        return doc

    def _lists(
        self, pick: Callable[[TweetIndex], list[int] | None], streams: Iterable[Stream]
    ) -> list[list[int]]:
        until = self.until()
        result = []
        for stream in streams:
            stream.catch_up(until)
            ids = pick(stream.index)
            if ids:
                result.append(ids)
        manual = pick(self.manual)
        if manual:
            result.append(manual)
        return result

    def catch_up_all(self) -> None:
        until = self.until()
        for stream in self.streams.values():
            stream.catch_up(until)
        self.dm_stream.catch_up(until)

    def mention_lists(self, user_id: int) -> list[list[int]]:
        streams = [s for s in self.streams.values() if user_id in s.mentionable]
        return self._lists(lambda ix: ix.by_mention.get(user_id), streams)

    def author_lists(self, user_ids: Iterable[int]) -> list[list[int]]:
        wanted = set(user_ids)
        result: list[list[int]] = []
        for stream in [*self.streams.values(), None]:
            if stream is not None and not (stream.authors & wanted):
                continue
            if stream is not None:
                stream.catch_up(self.until())
            index = stream.index if stream is not None else self.manual
            for uid in wanted:
                ids = index.by_author.get(uid)
                if ids:
                    result.append(ids)
        return result

    def all_lists(self) -> list[list[int]]:
        return self._lists(lambda ix: ix.ids, self.streams.values())

    def page(
        self,
        lists: list[list[int]],
        window: Window,
        limit: int,
        *,
        newer: bool = False,
        accept: Callable[[Tweet], bool] | None = None,
    ) -> Page:
        """One page of ids in ``window``, newest first.

        With ``newer`` the page is the ``limit`` ids just above ``window.lo`` (what a
        previous_token asks for); otherwise the ``limit`` ids just below ``window.hi``.
        """
        source = (
            merged_asc(lists, window.lo, window.hi)
            if newer
            else merged_desc(lists, window.lo, window.hi)
        )
        ids: list[int] = []
        more = False
        for tweet_id in source:
            tweet = self.tweets[tweet_id]
            if tweet.created_at > self.now + 0.001 or (accept is not None and not accept(tweet)):
                continue
            if len(ids) == limit:
                more = True
                break
            ids.append(tweet_id)
        if newer:
            ids.reverse()
            return Page(ids, more_older=False, more_newer=more)
        return Page(ids, more_older=more, more_newer=False)

    def reach_floor(
        self, lists: list[list[int]], reach: int, accept: Callable[[Tweet], bool] | None = None
    ) -> int:
        """The id just below the ``reach`` newest posts (timelines only reach that far back)."""
        seen = 0
        last = 0
        for tweet_id in merged_desc(lists):
            tweet = self.tweets[tweet_id]
            if tweet.created_at > self.now + 0.001 or (accept is not None and not accept(tweet)):
                continue
            seen += 1
            last = tweet_id
            if seen == reach:
                return last - 1
        return 0

    def owned_lists(self, user_id: int) -> list[XList]:
        return sorted(
            (xl for xl in self.lists.values() if xl.owner_id == user_id),
            key=lambda xl: xl.id,
            reverse=True,
        )

    def following(self, user_id: int) -> set[int]:
        if user_id in (self.company.id, self.support.id):
            followed = {self.company.id, self.support.id} - {user_id}
            for xl in self.lists.values():
                if xl.owner_id in (self.company.id, self.support.id):
                    followed.update(xl.member_ids)
            return followed
        return set()

    def followers(self, user_id: int) -> list[int]:
        cached = self._followers.get(user_id)
        if cached is not None:
            return cached
        rng = random.Random(derive_seed(self.seed, f"followers:{user_id}"))
        user = self.users[user_id]
        if user.role in ("company", "support"):
            pool = [uid for uid in self.users if uid != user_id]
            chosen = [uid for uid in pool if self.users[uid].role != "public" or rng.random() < 0.7]
        else:
            pool = self.roles["public"] + self.roles.get("customer", [])
            chosen = rng.sample(pool, min(len(pool), max(0, min(user.followers_count, 60))))
        chosen.sort(reverse=True)
        self._followers[user_id] = chosen
        return chosen

    def dm_ids_for_user(self, user_id: int) -> list[int]:
        self.dm_stream.catch_up(self.until())
        return self.dm_by_user.get(user_id, [])

    def dm_ids_for_conversation(self, conversation: str) -> list[int]:
        self.dm_stream.catch_up(self.until())
        return self.dm_by_conversation.get(conversation, [])

    # --- changes ------------------------------------------------------------------------

    def set_mention_rate(self, rate_per_hour: float) -> None:
        self.streams["mentions"].set_rate(rate_per_hour, self.until())

    def add_user(
        self, username: str, name: str | None = None, role: str = "public", **fields: object
    ) -> User:
        created_at = self.now - 400 * DAY
        user = User(
            id=self.injected_user_ids.allocate(created_at),
            username=username,
            name=name or username.replace("_", " ").title(),
            created_at=created_at,
            role=role,
            followers_count=int(fields.pop("followers_count", 50)),  # type: ignore[call-overload]
            image_key=hashlib.sha1(username.encode()).hexdigest()[:8],
        )
        for key, value in fields.items():
            if hasattr(user, key) and value is not None:
                setattr(user, key, value)
        # Not added to authors_by_role: injected accounts never write generated posts, so
        # injecting leaves the seeded world exactly as it was.
        return self._add_user(user)

    def wrap_links(self, text: str, salt: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Rewrite every link to t.co, as X does on the way in."""
        urls: list[tuple[str, str]] = []

        def repl(match: re.Match[str]) -> str:
            expanded = match.group(0)
            digest = hashlib.sha1(f"{salt}:{len(urls)}:{expanded}".encode()).digest()
            code = "".join(TCO_ALPHABET[b % len(TCO_ALPHABET)] for b in digest[:10])
            tco = f"https://t.co/{code}"
            urls.append((tco, expanded))
            return tco

        return URL_RE.sub(repl, text), tuple(urls)

    def add_tweet(
        self,
        *,
        author: User,
        text: str,
        created_at: float | None = None,
        lang: str = "en",
        reply_to: Tweet | None = None,
        quote_of: Tweet | None = None,
        origin: str = "injected",
        kind: str = "post",
    ) -> Tweet:
        ts = self.now if created_at is None else created_at
        tweet_id = self.manual_ids.allocate(ts)
        stored, urls = self.wrap_links(text, str(tweet_id))
        mentions = tuple(
            dict.fromkeys(
                u.id for name in MENTION_RE.findall(stored) if (u := self.user_by_username(name))
            )
        )
        rng = random.Random(derive_seed(self.seed, f"tweet:{tweet_id}"))
        own = author.role in ("company", "support")
        reach = (
            max(20, int(author.followers_count * rng.uniform(0.08, 0.3)))
            if own
            else rng.randint(20, 2000)
        )
        draft = Draft(
            author_id=author.id,
            text=stored,
            kind=kind,
            lang=lang,
            mention_ids=mentions,
            urls=urls,
            reply_to=reply_to,
            reach=reach,
            engage=rng.uniform(0.005, 0.03),
            ctr=rng.uniform(0.01, 0.03) if urls else 0.0,
            source="SocialOps" if origin == "posted" else "Twitter Web App",
        )
        tweet = self._store(tweet_id, draft, ts, self.manual, origin)
        if quote_of is not None:
            tweet.referenced = (*tweet.referenced, ("quoted", quote_of.id))
        if origin == "posted":
            self.posted.append(tweet.id)
        return tweet

    def delete_tweet(self, tweet: Tweet) -> None:
        tweet.deleted = True
        for index in [self.manual, *(s.index for s in self.streams.values())]:
            if tweet.id in index.by_author.get(tweet.author_id, ()):
                index.remove(tweet)

    def add_dm(
        self,
        *,
        sender: User,
        text: str,
        recipient: User | None = None,
        conversation: str | None = None,
        created_at: float | None = None,
        sent: bool = False,
    ) -> DmEvent:
        """A message in a one-to-one conversation (``recipient``) or an existing one."""
        ts = self.now if created_at is None else created_at
        if conversation is None:
            assert recipient is not None
            conversation = conversation_id(sender.id, recipient.id)
            participants: tuple[int, ...] = (sender.id, recipient.id)
        else:
            participants = self.dm_conversations[conversation]
        event = self._store_dm(
            self.manual_dm_ids.allocate(ts), sender.id, conversation, participants, text, ts
        )
        if sent:
            self.dms_sent.append(event.id)
        return event

    def create_group(self, *, creator: User, members: list[User], text: str) -> DmEvent:
        """A group conversation: X numbers it like a post, then sends the first message."""
        conversation = str(self.manual_dm_ids.allocate(self.now))
        participants = tuple(sorted({creator.id, *(m.id for m in members)}))
        self._store_dm(
            self.manual_dm_ids.allocate(self.now),
            creator.id,
            conversation,
            participants,
            "",
            self.now,
            "ParticipantsJoin",
        )
        return self.add_dm(sender=creator, text=text, conversation=conversation, sent=True)

    def counts(self) -> dict[str, int]:
        self.catch_up_all()
        live = sum(1 for t in self.tweets.values() if not t.deleted)
        return {
            "tweets": live,
            "users": len(self.users),
            "lists": len(self.lists),
            "dm_events": len(self.dm_events),
            "mentions_of_brightline": sum(len(ids) for ids in self.mention_lists(self.company.id)),
            "mentions_of_brightline_help": sum(
                len(ids) for ids in self.mention_lists(self.support.id)
            ),
        }


def conversation_id(a: int, b: int) -> str:
    """X's one-to-one DM conversation id: both user ids, smaller first."""
    low, high = sorted((a, b))
    return f"{low}-{high}"
