"""Sentiment of a customer's message, scored offline, and how well the scorer agrees with
people.

The score is VADER's (vaderSentiment: a lexicon and rules tuned for social media, shipped
inside the package, no network and no model to download) with the usual thresholds
(compound ≥ 0.05 positive, ≤ -0.05 negative, neutral between). Lexicons miss the
complaints customers actually write — "I was charged twice", "is it down?", "I want a
refund" carry no negative word — so complaint cues found by the rules below force the
label to negative (and cap the compound at CUE_COMPOUND, so that sorting by compound
agrees with the label). People correct the label in the inbox; `macro_f1` over those
corrections says how far to trust the scorer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
THRESHOLD = 0.05  # VADER's own cut-off for its compound score
CUE_COMPOUND = -0.4  # the highest compound a message with a complaint cue gets

# Complaint cues a sentiment lexicon misses: billing, outages, broken features, leaving.
# Each: a name (what the inbox shows an agent) and a pattern over the lower-cased text.
_NOT = r"(?:n't|not|no longer)"
COMPLAINT_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("charged twice", r"\b(?:charged|billed)\b[\w\s]{0,15}\b(?:twice|two times|double)\b"),
        ("double charged", r"\b(?:double|duplicate)[\s-]?(?:charged?|billed|payment)\b"),
        ("overcharged", r"\bover[\s-]?(?:charged|billed)\b"),
        ("refund", r"\brefund(?:s|ed)?\b|\bmoney back\b|\bchargeback\b"),
        ("is it down", r"\b(?:is|are)\s+(?:it|you|the\s+\w+|\w+)\s+down\b|\bdown again\b"),
        ("outage", r"\boutage\b|\bnot loading\b|\bwon'?t load\b|\b5\d\d error\b"),
        (
            "doesn't work",
            rf"\b(?:does|do|did|is|are|was|has|have)\s*{_NOT}\s+(?:work|working|load|sync)\w*",
        ),
        ("not working", r"\bnot working\b|\bstopped working\b|\bbroken\b|\bkeeps? crashing\b"),
        (
            "can't log in",
            r"\b(?:can'?t|cannot|unable to)\s+(?:log\s?in|sign\s?in|access|export|pay)\b",
        ),
        ("cancel my", r"\bcancel(?:ling|ing|led)?\s+(?:my|our|the)\b"),
        (
            "still waiting",
            r"\bstill waiting\b|\bno (?:reply|response|answer)\b|\bnobody (?:replied|answered)\b",
        ),
        (
            "lost data",
            r"\b(?:lost|deleted|missing)\s+(?:my|our|all)\s+(?:data|invoices|files|records)\b",
        ),
        ("switching", r"\b(?:switching|moving)\s+to\s+(?:a\s+)?(?:competitor|another)\b"),
    )
)


@dataclass(frozen=True)
class Score:
    label: str
    compound: float
    cues: tuple[str, ...] = ()


@cache
def _analyzer():
    # Imported on first use: the lexicon (7,500 entries) is read once per process.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def complaint_cues(text: str) -> tuple[str, ...]:
    lowered = text.lower().replace("’", "'")
    return tuple(name for name, pattern in COMPLAINT_CUES if pattern.search(lowered))


def score(text: str) -> Score:
    """The message's label, VADER's compound (-1 … 1) and the complaint cues found."""
    if not text or not text.strip():
        return Score(NEUTRAL, 0.0)
    compound = round(_analyzer().polarity_scores(text)["compound"], 4)
    cues = complaint_cues(text)
    if cues:
        return Score(NEGATIVE, min(compound, CUE_COMPOUND), cues)
    if compound >= THRESHOLD:
        return Score(POSITIVE, compound)
    if compound <= -THRESHOLD:
        return Score(NEGATIVE, compound)
    return Score(NEUTRAL, compound)


def macro_f1(pairs: Iterable[tuple[str, str]]) -> float | None:
    """Agreement between the scorer and people: the F1 score of each label (scorer's
    label vs the person's, over `(scored, corrected)` pairs), averaged over the labels
    that occur on either side. None when there is nothing to compare ("no data yet")."""
    pairs = list(pairs)
    if not pairs:
        return None
    labels = sorted({label for pair in pairs for label in pair})
    f1s = []
    for label in labels:
        tp = sum(1 for s, p in pairs if s == label and p == label)
        fp = sum(1 for s, p in pairs if s == label and p != label)
        fn = sum(1 for s, p in pairs if s != label and p == label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)
