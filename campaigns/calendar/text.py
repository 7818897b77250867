"""X's weighted length of a post's text (twitter-text v3), the count X checks against 280.

How X counts, after NFC normalisation:
1. Every URL counts 23, however long it is (X wraps it in a t.co link): one with
   http:// or https://, or a bare domain such as example.com/x. A bare domain counts only
   when its top-level domain is known; a single name under a country's domain
   (example.de) counts only with a path, as twitter-text has it (t.co always counts).
2. Every emoji counts 2, a whole sequence at once (a family joined by zero-width
   joiners, a skin tone, a flag, a keycap).
3. Every other character counts 1 if its code point is in 0–4351 (Latin, Greek,
   Cyrillic, Hebrew, Arabic, Indic scripts…), 8192–8205, 8208–8223 or 8242–8247
   (spaces, dashes, quotes, primes), and 2 otherwise (CJK, most symbols).

The lists of top-level domains are the common ones, not all 1,500: a bare domain under an
unusual one counts character by character here, where X may count it 23. Write links
with https:// and both agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2

# (first, last) code points that weigh 1; everything else weighs 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

_GENERIC_TLDS_TEXT = """
academy agency app art biz blog business cafe camera capital careers center city
cloud club codes com community company consulting coop design dev digital directory
education email energy engineering events exchange expert finance fund gallery games
global gmbh gov group guide guru health help holdings host info int jobs land legal
life link live ltd management marketing media mil mobi money museum name net network
news ninja one online org page partners photo photography photos pics plus pro
properties realty rocks run sale school services shop site social software solutions
space store studio support systems team tech technology tel today tools top training
travel tube video vip watch website wiki work works world xyz zone
"""
GENERIC_TLDS = frozenset(_GENERIC_TLDS_TEXT.split())

_COUNTRY_TLDS_TEXT = """
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn
bo br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj
dk dm do dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp
gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke
kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk
ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om
pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si
sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw
tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
"""
COUNTRY_TLDS = frozenset(_COUNTRY_TLDS_TEXT.split())

# Characters a URL's path and query may hold (twitter-text's set, roughly): ASCII
# punctuation but quotes and angle brackets, Latin accents and Cyrillic. CJK or an emoji
# ends the URL.
_PATH_CHARS = r"[A-Za-z0-9\u00C0-\u024F\u0400-\u04FF!*';:=+,.$/%#\[\]\-\u2013_~|&@()?]"
# A URL does not end in these: "see https://example.com/x." ends before the dot.
_TRAILING = ".,:;!?'*"
# What may not come right before a URL (a word, a mention, a cashtag or a hashtag).
_BEFORE = r"(?<![A-Za-z0-9@＠$#＃\u202A-\u202E])"

_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"  # one domain label, any script
_ASCII_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"

_PROTOCOL_URL = re.compile(
    _BEFORE
    + r"(?P<url>https?://(?:"
    + _LABEL
    + r"\.)+[^\W\d_]{2,}(?::\d{1,5})?"
    + r"(?:[/?#]"
    + _PATH_CHARS
    + r"*)?)",
    re.IGNORECASE,
)
_BARE_URL = re.compile(
    _BEFORE
    + r"(?<![-_./])(?P<domain>(?:"
    + _ASCII_LABEL
    + r"\.)+(?P<tld>[A-Za-z]{2,}))"
    + r"(?![A-Za-z0-9@＠])(?P<port>:\d{1,5})?(?P<path>/"
    + _PATH_CHARS
    + r"*)?",
)

_EMOJI_BASE = (
    "\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff"
)
# Variation selectors, skin tones and tag characters (subdivision flags) extend an emoji.
_EMOJI_MODIFIERS = "(?:[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f])*"
_EMOJI_ONE = f"(?:[{_EMOJI_BASE}]|[\u00a9\u00ae]\ufe0f){_EMOJI_MODIFIERS}"
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    "|[0-9#*]\ufe0f?\u20e3"  # a keycap
    f"|{_EMOJI_ONE}(?:\u200d{_EMOJI_ONE})*"  # joined sequences count once
)


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the URL, and a closing bracket
    the URL did not open."""
    pairs = {")": "(", "]": "["}
    while url:
        last = url[-1]
        unopened = last in pairs and url.count(pairs[last]) < url.count(last)
        if last not in _TRAILING and not unopened:
            break
        url = url[:-1]
    return url


def _url_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _PROTOCOL_URL.finditer(text):
        url = _trim(match.group("url"))
        spans.append((match.start("url"), match.start("url") + len(url)))

    def taken(position: int) -> bool:
        return any(start <= position < end for start, end in spans)

    for match in _BARE_URL.finditer(text):
        if taken(match.start()):
            continue
        domain, tld = match.group("domain").lower(), match.group("tld").lower()
        path = match.group("path") or ""
        if tld in GENERIC_TLDS:
            pass
        elif tld in COUNTRY_TLDS:
            # example.de alone is more often a typo than a link (twitter-text's rule);
            # with a path, a subdomain or as X's own t.co it is a link.
            if not path and domain.count(".") == 1 and domain != "t.co":
                continue
        else:
            continue
        end = match.start() + len(_trim(match.group(0)))
        spans.append((match.start(), end))
    return sorted(spans)


def http_urls(text: str) -> list[str]:
    """The http:// and https:// URLs in `text`, in order (repeats included), as X would
    cut them out of the text."""
    text = unicodedata.normalize("NFC", text)
    return [_trim(m.group("url")) for m in _PROTOCOL_URL.finditer(text)]


def _char_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(first <= code <= last for first, last in _LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """The length X counts for `text` (see the module's docstring); at most
    MAX_WEIGHTED_LENGTH is allowed in one post."""
    text = unicodedata.normalize("NFC", text or "")
    special: dict[int, tuple[int, int]] = {}  # start → (end, weight)
    for start, end in _url_spans(text):
        special[start] = (end, URL_WEIGHT)
    url_ends = sorted(special.items())
    for match in _EMOJI.finditer(text):
        start = match.start()
        if any(s <= start < e for s, (e, _w) in url_ends):
            continue
        special.setdefault(start, (match.end(), EMOJI_WEIGHT))
    total, i = 0, 0
    while i < len(text):
        if i in special:
            end, weight = special[i]
            total += weight
            i = end
        else:
            total += _char_weight(text[i])
            i += 1
    return total


def length_error(text: str, *, label: str = "The text") -> str | None:
    """A message for text over X's limit, or None when it fits."""
    length = weighted_length(text)
    if length <= MAX_WEIGHTED_LENGTH:
        return None
    return (
        f"{label} is {length} characters long as X counts them (a link counts "
        f"{URL_WEIGHT}, an emoji or a CJK character 2); the limit is {MAX_WEIGHTED_LENGTH}."
    )


def replace_http_urls(text: str, replace: Callable[[str], str]) -> str:
    """`text` (NFC-normalised) with each http(s) URL, as http_urls() cuts it, replaced by
    `replace(url)`. Whole URLs only: https://a.com never matches inside https://a.com/x."""
    text = unicodedata.normalize("NFC", text or "")
    pieces: list[str] = []
    position = 0
    for match in _PROTOCOL_URL.finditer(text):
        url = _trim(match.group("url"))
        start = match.start("url")
        pieces.append(text[position:start])
        pieces.append(replace(url))
        position = start + len(url)
    pieces.append(text[position:])
    return "".join(pieces)
