"""The part of X's search query language that recent search needs here.

Supported: keywords, "quoted phrases", ``OR``, implicit AND, ``-`` negation of a term or
a group, parentheses, ``@user``, ``#hashtag``, ``from:``, ``to:``, ``lang:``, ``url:``,
``conversation_id:``, ``is:retweet|reply|quote``, ``has:links|mentions|hashtags|media``.

Keywords are matched, as X documents, against the post's tokens: text split on
punctuation and symbols, case-insensitive, so ``brightline`` matches "Brightline's",
"@brightline" and "#Brightline" but not "brightlineflow"; ``@user`` and ``#tag`` match
only mentions and hashtags. Links are not searched by keywords (``url:`` does that).

X quirks kept on purpose: ``OR`` must be upper case (a lower-case ``or`` is a keyword);
AND binds tighter than OR (``a OR b c`` is ``a OR (b c)``); a query made only of
negations, or only of operators that X calls "conjunction required" (``is:``, ``has:``,
``lang:``), is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_QUERY_LENGTH = 512  # X's recent-search limit for self-serve access levels

_URL_RE = re.compile(r"https?://\S+")
_TOKEN_RE = re.compile(r"[@#$]?\w+")
_LEX_RE = re.compile(r'\s+|\(|\)|-?"(?:[^"\\]|\\.)*"|[^\s()]+')

OPERATORS = ("from", "to", "lang", "url", "conversation_id", "is", "has")
CONJUNCTION_REQUIRED = ("is", "has", "lang")
IS_VALUES = ("retweet", "reply", "quote")
HAS_VALUES = ("links", "mentions", "hashtags", "media")


class QueryError(ValueError):
    """An invalid query; ``str(error)`` is the message X would give."""


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """What search matches against, built once per post."""

    words: frozenset[str]
    sequence: str  # " tok tok tok " for phrase matching
    mentions: frozenset[str]
    hashtags: frozenset[str]
    author: str
    lang: str
    urls: tuple[str, ...]
    is_retweet: bool
    is_reply: bool
    is_quote: bool
    conversation_id: str
    in_reply_to: str

    @classmethod
    def build(
        cls,
        *,
        text: str,
        author: str,
        lang: str,
        mentions: list[str],
        urls: list[str],
        is_retweet: bool,
        is_reply: bool,
        is_quote: bool,
        conversation_id: str,
        in_reply_to: str,
    ) -> SearchDoc:
        tokens = tokenize(text)
        return cls(
            words=frozenset(t.lstrip("@#$") for t in tokens),
            sequence=" " + " ".join(tokens) + " ",
            mentions=frozenset(
                [m.lower() for m in mentions] + [t[1:] for t in tokens if t[0] == "@"]
            ),
            hashtags=frozenset(t[1:] for t in tokens if t[0] == "#"),
            author=author.lower(),
            lang=lang,
            urls=tuple(u.lower() for u in urls),
            is_retweet=is_retweet,
            is_reply=is_reply,
            is_quote=is_quote,
            conversation_id=conversation_id,
            in_reply_to=in_reply_to.lower(),
        )


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(_URL_RE.sub(" ", text.lower()))


Matcher = Callable[[SearchDoc], bool]


@dataclass(slots=True)
class _Node:
    match: Matcher
    positive: bool  # contains a term that can stand alone (not negated, not conj.-required)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens: list[tuple[str, int]] = []
        for m in _LEX_RE.finditer(query):
            if not m.group(0).isspace():
                self.tokens.append((m.group(0), m.start() + 1))
        self.pos = 0

    def error(self, message: str, position: int) -> QueryError:
        return QueryError(
            f"There were errors processing your request: {message} (at position {position})"
        )

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def parse(self) -> _Node:
        if not self.tokens:
            raise self.error("No rule was provided", 1)
        node = self.parse_or()
        if self.pos < len(self.tokens):
            token, position = self.tokens[self.pos]
            raise self.error(f"Unexpected '{token}'", position)
        return node

    def parse_or(self) -> _Node:
        nodes = [self.parse_and()]
        while self.peek() == "OR":
            self.pos += 1
            if self.peek() in (None, ")", "OR"):
                raise self.error("Operator OR needs a term on both sides", self._position())
            nodes.append(self.parse_and())
        if len(nodes) == 1:
            return nodes[0]
        matchers = [n.match for n in nodes]
        return _Node(lambda d: any(m(d) for m in matchers), all(n.positive for n in nodes))

    def parse_and(self) -> _Node:
        nodes: list[_Node] = []
        while self.peek() not in (None, ")", "OR"):
            nodes.append(self.parse_unary())
        if not nodes:
            raise self.error("Expected a term", self._position())
        if len(nodes) == 1:
            return nodes[0]
        matchers = [n.match for n in nodes]
        return _Node(lambda d: all(m(d) for m in matchers), any(n.positive for n in nodes))

    def parse_unary(self) -> _Node:
        token, position = self.tokens[self.pos]
        if token == "-" or (token.startswith("-") and len(token) > 1):
            # "-word", "-from:x", '-"a phrase"' lex as one token; "-(" as "-" then "(".
            if token == "-":
                self.pos += 1
                if self.peek() != "(":
                    raise self.error("Negation must be attached to a term", position)
                inner = self.parse_atom()
            else:
                self.tokens[self.pos] = (token[1:], position + 1)
                inner = self.parse_atom()
            match = inner.match
            return _Node(lambda d: not match(d), False)
        return self.parse_atom()

    def parse_atom(self) -> _Node:
        token, position = self.tokens[self.pos]
        if token == "(":
            self.pos += 1
            node = self.parse_or()
            if self.peek() != ")":
                raise self.error("Missing closing parenthesis", self._position())
            self.pos += 1
            return node
        if token == ")":
            raise self.error("Unexpected ')'", position)
        self.pos += 1
        return self.term(token, position)

    def _position(self) -> int:
        if self.pos < len(self.tokens):
            return self.tokens[self.pos][1]
        return len(self.query) + 1

    def term(self, token: str, position: int) -> _Node:
        if token.startswith('"'):
            phrase = " ".join(tokenize(token[1:-1].replace('\\"', '"')))
            if not phrase:
                raise self.error("Empty phrase", position)
            needle = f" {phrase} "
            return _Node(lambda d: needle in d.sequence, True)
        if token.startswith("@") and len(token) > 1:
            name = token[1:].lower()
            return _Node(lambda d: name in d.mentions, True)
        if token.startswith("#") and len(token) > 1:
            tag = token[1:].lower()
            return _Node(lambda d: tag in d.hashtags, True)
        if ":" in token and not token.startswith(("http:", "https:")):
            return self.operator(token, position)
        words = tokenize(token)
        if not words:
            raise self.error(f"Invalid term '{token}'", position)
        if len(words) > 1:  # "brightline's" -> a tiny phrase, as X's tokenizer would
            needle = " " + " ".join(words) + " "
            return _Node(lambda d: needle in d.sequence, True)
        word = words[0]
        return _Node(lambda d: word in d.words, True)

    def operator(self, token: str, position: int) -> _Node:
        name, _, value = token.partition(":")
        name = name.lower()
        value = value.strip('"')
        if name not in OPERATORS:
            raise self.error(
                f"Reference to invalid operator '{name}'. Operator is not available in current "
                "product or product packaging. Please refer to complete available operator list "
                "at https://developer.x.com/en/docs/twitter-api/tweets/search/integrate/build-a-query#list",
                position,
            )
        if not value:
            raise self.error(f"Operator '{name}' needs a value", position)
        low = value.lower()
        positive = name not in CONJUNCTION_REQUIRED
        if name == "from":
            user = low.lstrip("@")
            return _Node(lambda d: d.author == user, positive)
        if name == "to":
            user = low.lstrip("@")
            return _Node(lambda d: d.in_reply_to == user, positive)
        if name == "lang":
            return _Node(lambda d: d.lang == low, positive)
        if name == "url":
            return _Node(lambda d: any(low in u for u in d.urls), positive)
        if name == "conversation_id":
            return _Node(lambda d: d.conversation_id == value, positive)
        if name == "is":
            if low not in IS_VALUES:
                raise self.error(f"Reference to invalid operator 'is:{value}'", position)
            attr = f"is_{low}"
            return _Node(lambda d: bool(getattr(d, attr)), positive)
        if low not in HAS_VALUES:
            raise self.error(f"Reference to invalid operator 'has:{value}'", position)
        checks: dict[str, Matcher] = {
            "links": lambda d: bool(d.urls),
            "mentions": lambda d: bool(d.mentions),
            "hashtags": lambda d: bool(d.hashtags),
            "media": lambda d: False,  # the simulated world posts no media
        }
        return _Node(checks[low], positive)


def compile_query(query: str) -> Matcher:
    """Compile a recent-search query into a predicate over :class:`SearchDoc`."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(
            "There were errors processing your request: Rule length exceeds the max allowed "
            f"of {MAX_QUERY_LENGTH}, (at position 1)"
        )
    node = _Parser(query).parse()
    if not node.positive:
        raise QueryError(
            "There were errors processing your request: Rules must contain a non-negation "
            "term, and is:, has: and lang: operators must be used with one (at position 1)"
        )
    return node.match
