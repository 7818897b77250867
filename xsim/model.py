"""The objects of the simulated world. Plain slotted dataclasses: the world holds tens of
thousands of posts, and rendering them is :mod:`xsim.shapes`' job."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

URL_RE = re.compile(r"https?://[^\s]+")
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})")


@dataclass(slots=True)
class User:
    id: int
    username: str
    name: str
    created_at: float
    role: str  # company, support, customer, prospect, journalist, detractor, public
    description: str = ""
    location: str = ""
    url: str = ""
    verified: bool = False
    verified_type: str = "none"
    protected: bool = False
    followers_count: int = 0
    following_count: int = 0
    tweet_count: int = 0
    listed_count: int = 0
    like_count: int = 0
    company: str = ""
    image_key: str = ""
    withheld_in: tuple[str, ...] = ()  # country codes where X withholds the account


@dataclass(slots=True)
class Tweet:
    id: int
    author_id: int
    text: str
    created_at: float
    lang: str = "en"
    conversation_id: int = 0
    in_reply_to_user_id: int | None = None
    # (type, id) with type in retweeted / quoted / replied_to, as X names them.
    referenced: tuple[tuple[str, int], ...] = ()
    mention_ids: tuple[int, ...] = ()
    # t.co link -> expanded URL; X rewrites every link in a post to t.co.
    urls: tuple[tuple[str, str], ...] = ()
    kind: str = "post"
    source: str = "Twitter Web App"
    possibly_sensitive: bool = False
    # Engagement model: the post's eventual reach and how engaging it is (see shapes).
    reach: int = 0
    engage: float = 0.01
    ctr: float = 0.0
    origin: str = "stream"  # stream, injected, posted
    deleted: bool = False
    _tokens: tuple[str, ...] | None = field(default=None, repr=False)

    @property
    def is_retweet(self) -> bool:
        return any(kind == "retweeted" for kind, _ in self.referenced)

    @property
    def is_reply(self) -> bool:
        return any(kind == "replied_to" for kind, _ in self.referenced)

    @property
    def is_quote(self) -> bool:
        return any(kind == "quoted" for kind, _ in self.referenced)


@dataclass(slots=True)
class XList:
    id: int
    name: str
    owner_id: int
    private: bool
    created_at: float
    description: str = ""
    member_ids: list[int] = field(default_factory=list)
    follower_count: int = 0


@dataclass(slots=True)
class DmEvent:
    id: int
    conversation_id: str
    sender_id: int
    participant_ids: tuple[int, ...]
    text: str
    created_at: float
    event_type: str = "MessageCreate"
    referenced_tweet_ids: tuple[int, ...] = ()
