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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from xsim.clock import DAY
from xsim.genesis import (
    TCO_ALPHABET,
    W_INJECTED_USERS,
    W_MANUAL,
    W_MANUAL_DMS,
    Genesis,
    derive_seed,
)
from xsim.model import MENTION_RE, URL_RE, DmEvent, Tweet, User, XList
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

__all__ = ["Page", "Window", "World", "conversation_id"]


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


class World(Genesis):
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
        self.reposts: dict[tuple[int, int], int] = {}  # (user id, source id) -> repost id
        self.dms_sent: list[int] = []
        self.likes: dict[tuple[int, int], float] = {}  # (user id, post id) -> liked at
        self._followers: dict[int, list[int]] = {}
        self._build_population()
        self._build_lists()
        self._build_streams(mention_rate)

    def _add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.by_username[user.username.lower()] = user
        self.roles.setdefault(user.role, []).append(user.id)
        return user

    def until(self) -> float:
        # Catch up through the current millisecond, so no later event can get an id at or
        # below one already served (the since_id contract).
        return (math.floor(self.now * 1000) + 1) / 1000

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

    def set_dm_rate(self, rate_per_hour: float) -> None:
        """Incoming DMs to our two accounts per simulated hour (1 by default)."""
        self.dm_stream.set_rate(rate_per_hour, self.until())

    def like(self, user: User, tweet: Tweet) -> bool:
        """Like a post once; liking it again changes nothing. True when it was new."""
        if (user.id, tweet.id) in self.likes:
            return False
        self.likes[(user.id, tweet.id)] = self.now
        return True

    def unlike(self, user: User, tweet_id: int) -> None:
        self.likes.pop((user.id, tweet_id), None)

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
        # Streams first: a generated post must never get an id below one already served.
        self.catch_up_all()
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

    def repost_of(self, user: User, source: Tweet) -> Tweet | None:
        """The user's live repost of ``source`` made through the API, if any."""
        repost = self.tweets.get(self.reposts.get((user.id, source.id), 0))
        return None if repost is None or repost.deleted else repost

    def add_repost(self, *, author: User, source: Tweet) -> Tweet:
        """A repost, as X stores one: a post of its own (own id, "RT @author: text", the
        source's links as they are) that references the source as ``retweeted``."""
        self.catch_up_all()
        ts = self.now
        tweet_id = self.manual_ids.allocate(ts)
        text = f"RT @{self.users[source.author_id].username}: {source.text}"
        if len(text) > 280:
            text = text[:279] + "…"
        draft = Draft(
            author_id=author.id,
            text=text,
            kind="retweet",
            lang=source.lang,
            mention_ids=(source.author_id,),
            urls=source.urls,
            retweet_of=source,
            reach=0,  # a repost's own metrics stay at zero: engagement goes to the source
            source="SocialOps",
        )
        tweet = self._store(tweet_id, draft, ts, self.manual, "posted")
        self.posted.append(tweet.id)
        self.reposts[(author.id, source.id)] = tweet.id
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
        self.dm_stream.catch_up(self.until())
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
