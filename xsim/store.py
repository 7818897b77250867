"""Lazy post streams and the id indexes that make a page query cheap.

Posts are not generated up front. A :class:`Stream` is a Poisson process with its own
random generator: on :meth:`Stream.catch_up` it materialises every event up to a
simulated instant, in time order, so what it produces does not depend on when or how
often it is asked (the world stays deterministic per seed). Each stream indexes its
posts by id, author and mentioned user in ascending id lists; a page query bisects
those lists and merges them lazily, so it touches about one page of posts, not the
whole history.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from xsim.clock import MAX_SEQ, snowflake
from xsim.model import Tweet

INF_ID = 1 << 63


def insert_sorted(ids: list[int], value: int) -> None:
    # Streams append in id order; only injected posts with a past created_at land inside.
    if not ids or ids[-1] < value:
        ids.append(value)
    else:
        bisect.insort(ids, value)


def remove_sorted(ids: list[int], value: int) -> None:
    i = bisect.bisect_left(ids, value)
    if i < len(ids) and ids[i] == value:
        del ids[i]


class TweetIndex:
    """Ascending id lists: all posts, per author, per mentioned user."""

    __slots__ = ("by_author", "by_mention", "ids")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.by_author: dict[int, list[int]] = {}
        self.by_mention: dict[int, list[int]] = {}

    def add(self, tweet: Tweet) -> None:
        insert_sorted(self.ids, tweet.id)
        insert_sorted(self.by_author.setdefault(tweet.author_id, []), tweet.id)
        for user_id in set(tweet.mention_ids):
            insert_sorted(self.by_mention.setdefault(user_id, []), tweet.id)

    def remove(self, tweet: Tweet) -> None:
        remove_sorted(self.ids, tweet.id)
        remove_sorted(self.by_author.get(tweet.author_id, []), tweet.id)
        for user_id in set(tweet.mention_ids):
            remove_sorted(self.by_mention.get(user_id, []), tweet.id)


@dataclass(slots=True)
class Draft:
    """What a generator decides; the stream turns it into a Tweet with an id."""

    author_id: int
    text: str
    kind: str = "post"
    lang: str = "en"
    mention_ids: tuple[int, ...] = ()
    urls: tuple[tuple[str, str], ...] = ()
    reply_to: Tweet | None = None
    retweet_of: Tweet | None = None
    reach: int = 100
    engage: float = 0.01
    ctr: float = 0.0
    source: str = "Twitter Web App"


class IdAllocator:
    """Unique snowflakes for one worker number, even for many posts in one millisecond."""

    __slots__ = ("_next_seq", "worker")

    def __init__(self, worker: int) -> None:
        self.worker = worker
        self._next_seq: dict[int, int] = {}

    def allocate(self, ts: float) -> int:
        ms = int(ts * 1000)
        while True:
            seq = self._next_seq.get(ms, 0)
            if seq <= MAX_SEQ:
                self._next_seq[ms] = seq + 1
                return snowflake(ms, self.worker, seq)
            ms += 1  # 4096 posts in one ms from one worker: spill into the next ms


Generator = Callable[[random.Random, float], Draft | None]


@dataclass(eq=False)
class Stream:
    """One Poisson stream of posts (or other events) with its own random generator."""

    name: str
    worker: int
    rate_per_hour: float
    start: float
    seed: int
    generate: Generator
    authors: frozenset[int]
    mentionable: frozenset[int] = frozenset()
    materialise: Callable[[Stream, Draft, float], object] | None = None
    index: TweetIndex = field(default_factory=TweetIndex)
    rng: random.Random = field(init=False)
    next_time: float = field(init=False)
    ids: IdAllocator = field(init=False)
    produced: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = IdAllocator(self.worker)
        self.next_time = self._after(self.start)

    def _after(self, ts: float) -> float:
        if self.rate_per_hour <= 0:
            return math.inf
        return ts + self.rng.expovariate(self.rate_per_hour / 3600.0)

    def catch_up(self, until: float) -> None:
        """Materialise every event strictly before ``until`` (simulated Unix seconds)."""
        assert self.materialise is not None
        while self.next_time < until:
            ts = self.next_time
            draft = self.generate(self.rng, ts)
            if draft is not None:
                self.materialise(self, draft, ts)
                self.produced += 1
            self.next_time = self._after(ts)

    def set_rate(self, rate_per_hour: float, at: float) -> None:
        # Events before the change keep the old rate; the pending gap is redrawn at the new one.
        self.catch_up(at)
        self.rate_per_hour = float(rate_per_hour)
        self.next_time = self._after(at)


def _descending(ids: list[int], lo: int, hi: int) -> Iterator[int]:
    """Ids in (lo, hi) from a sorted list, newest first."""
    start = bisect.bisect_right(ids, lo)
    end = bisect.bisect_left(ids, hi)
    for i in range(end - 1, start - 1, -1):
        yield ids[i]


def _ascending(ids: list[int], lo: int, hi: int) -> Iterator[int]:
    start = bisect.bisect_right(ids, lo)
    end = bisect.bisect_left(ids, hi)
    for i in range(start, end):
        yield ids[i]


def merged_desc(lists: Iterable[list[int]], lo: int = 0, hi: int = INF_ID) -> Iterator[int]:
    """All ids in (lo, hi) across sorted lists, newest first, without duplicates."""
    sources = [_descending(ids, lo, hi) for ids in lists if ids]
    last = None
    for value in heapq.merge(*sources, reverse=True):
        if value != last:
            last = value
            yield value


def merged_asc(lists: Iterable[list[int]], lo: int = 0, hi: int = INF_ID) -> Iterator[int]:
    sources = [_ascending(ids, lo, hi) for ids in lists if ids]
    last = None
    for value in heapq.merge(*sources):
        if value != last:
            last = value
            yield value
