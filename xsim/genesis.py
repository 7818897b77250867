"""How the world comes to be: the population, the lists, and the generators behind each
lazy stream of posts. A mixin of :class:`xsim.world.World`, kept apart because it is the
half of the world that only runs while building or materialising, and reads like a
script of the synthetic organisation's life.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import string
from collections.abc import Callable, Iterable

from xsim import content as c
from xsim.clock import DAY, HOUR, id_floor, parse_iso, snowflake
from xsim.model import MENTION_RE, Tweet, User, XList
from xsim.store import Draft, Stream

# Worker numbers keep every stream's snowflakes apart (and tell a lookup which stream to
# catch up for a given id).
W_MENTIONS, W_CHATTER, W_CUSTOMERS, W_PROSPECTS, W_PRESS, W_OWN, W_DMS = 1, 2, 3, 4, 5, 6, 7
W_USERS, W_LISTS, W_INJECTED_USERS = 20, 21, 22
W_MANUAL, W_MANUAL_DMS = 30, 31

TCO_ALPHABET = string.ascii_letters + string.digits
MENTION_BACKLOG = 3000  # mentions of history at most, whatever the rate


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"xsim:{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def weighted(rng: random.Random, pairs: Iterable[tuple[str, float]]) -> str:
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


class _Slots(dict):
    """Template slots filled on first use, in text order, from the stream's generator."""

    def __init__(self, rng: random.Random, known: dict[str, str]) -> None:
        super().__init__(known)
        self.rng = rng
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


class Genesis:
    """Building the population, lists and streams, and generating their posts.

    Fills in the world's data below; the world supplies ``_add_user`` and the streams'
    ``_materialise_tweet`` / ``_materialise_dm``.
    """

    seed: int
    start: float
    users: dict[int, User]
    by_username: dict[str, User]
    roles: dict[str, list[int]]
    authors_by_role: dict[str, list[int]]
    lists: dict[int, XList]
    tweets: dict[int, Tweet]
    streams: dict[str, Stream]
    stream_by_worker: dict[int, Stream]
    dm_stream: Stream
    company: User
    support: User
    key_prospects: XList
    industry_press: XList
    customers_list: XList
    escalations: XList
    _add_user: Callable[[User], User]
    _materialise_tweet: Callable[[Stream, Draft, float], Tweet]
    _materialise_dm: Callable[[Stream, Draft, float], object]

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

    def _draft(self, rng: random.Random, author_id: int, template: str, **kw: object) -> Draft:
        known = {k: v for k, v in kw.items() if isinstance(v, str)}
        slots = _Slots(rng, known)
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
        # Only posts older than ts: the own stream may already be materialised further
        # ahead, and what a mention refers to must not depend on that.
        count = bisect.bisect_left(ids, id_floor(ts))
        if not count:
            return None
        return self.tweets[ids[count - 1 - min(count - 1, int(rng.expovariate(0.7)))]]

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
