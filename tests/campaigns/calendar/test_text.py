"""X's weighted length (twitter-text v3): light and heavy characters, URLs at 23, emoji
at 2 whatever their sequence, NFC normalisation, and the 280 limit."""

from __future__ import annotations

import pytest

from campaigns.calendar.text import (
    MAX_WEIGHTED_LENGTH,
    http_urls,
    length_error,
    replace_http_urls,
    weighted_length,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("Hello, world!\n", 14),
        ("Ünïcödé", 7),  # Latin-1 and Latin Extended weigh 1
        ("Привет", 6),  # Cyrillic weighs 1
        ("שלום", 4),  # Hebrew weighs 1
        ("\u10ff", 1),  # 4351, the last light code point
        ("\u1100", 2),  # 4352, the first heavy one
        ("日本語", 6),  # CJK weighs 2
        ("한국어", 6),  # Hangul too
        ("\u2014\u2018\u2019\u201c\u201d", 5),  # dashes and quotes: 8208–8223
        ("\u2000\u200d", 2),  # spaces and joiners: 8192–8205
        ("\u2032\u2037", 2),  # primes: 8242–8247
        ("\u200e\u2020", 4),  # 8206 and 8224 fall between the ranges
        ("\u2026", 2),  # the ellipsis (8230) weighs 2
        ("€", 2),  # 8364
    ],
)
def test_character_weights(text, expected):
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😀", 2),
        ("👍🏽", 2),  # skin tone: one emoji
        ("👨\u200d👩\u200d👧\u200d👦", 2),  # a family joined by ZWJs: one emoji
        ("🏳️\u200d🌈", 2),  # rainbow flag (VS16 + ZWJ)
        ("🇪🇸", 2),  # a flag: two regional indicators
        ("🇪🇸🇫🇷", 4),
        ("1️⃣", 2),  # keycap
        ("❤️", 2),  # heart with VS16
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2),  # England
        ("ok 👍", 5),
        ("©", 1),  # the text symbol is Latin-1
        ("©️", 2),  # with VS16 it is the emoji
    ],
)
def test_emoji_count_two_per_sequence(text, expected):
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com", 23),
        ("http://example.com", 23),
        ("https://example.com/" + "a" * 500, 23),  # any length
        ("HTTPS://EXAMPLE.COM/Path", 23),
        ("see https://example.com/x?a=1&b=2#top now", 4 + 23 + 4),
        ("https://example.com.", 24),  # the full stop ends the sentence, not the URL
        ("(https://example.com)", 25),  # unopened bracket is not part of it
        ("https://en.wikipedia.org/wiki/Foo_(bar)", 23),  # balanced brackets are
        ("https://a.com https://b.com", 47),
        ("example.com", 23),  # bare domain with a known TLD
        ("go to example.com/x", 6 + 23),
        ("www.example.co.uk", 23),
        ("example.de/x", 23),  # a country's domain with a path
        ("example.de", 10),  # …without one it is text (twitter-text's rule)
        ("t.co", 23),  # except X's own
        ("file.txt", 8),  # not a top-level domain
        ("e.g. this", 9),
        ("mail us at help@example.com", 11 + 16),  # an e-mail address is not a link
        ("https://example.com/日本", 23 + 4),  # CJK ends the URL
        ("#example.com", 12),  # a hashtag's text is not a link
    ],
)
def test_urls_count_23(text, expected):
    assert weighted_length(text) == expected


def test_nfc_normalisation_counts_composed_characters():
    decomposed = "e\u0301" * 10  # e + combining acute, twice the code points
    assert weighted_length(decomposed) == 10
    assert weighted_length("é" * 10) == 10


def test_hangul_jamo_compose_into_syllables():
    assert weighted_length("\u1100\u1161") == 2  # ᄀ + ᅡ → 가 (one heavy character)


def test_limit_boundaries():
    assert weighted_length("a" * MAX_WEIGHTED_LENGTH) == 280
    assert length_error("a" * 280) is None
    assert "281" in length_error("a" * 281)
    assert weighted_length("日" * 140) == 280
    assert length_error("日" * 141) is not None
    # 257 characters and a link of any length fit exactly.
    assert length_error("a" * 256 + " https://example.com/" + "x" * 300) is None
    assert length_error("a" * 257 + " https://example.com/") is not None


def test_none_and_whitespace():
    assert weighted_length(None) == 0  # type: ignore[arg-type]
    assert weighted_length("   ") == 3


def test_http_urls_and_replacement_keep_whole_urls():
    text = "Read https://a.com/x and https://a.com. Also https://a.com/x!"
    assert http_urls(text) == ["https://a.com/x", "https://a.com", "https://a.com/x"]

    replaced = replace_http_urls(text, lambda url: "<" + url[-1] + ">")

    assert replaced == "Read <x> and <m>. Also <x>!"


def test_bare_domains_are_not_replaced():
    assert http_urls("see example.com/x") == []
    assert replace_http_urls("see example.com/x", lambda url: "!") == "see example.com/x"
