"""Sentiment scored offline: VADER plus the complaint cues lexicons miss, checked against
a labelled set of realistic customer messages; and macro-F1, the scorer-vs-people
agreement the inbox reports."""

from __future__ import annotations

import pytest

from listening.inbox.sentiment import NEGATIVE, NEUTRAL, POSITIVE, macro_f1, score

# What people labelled these messages (mentions and DMs as customers write them).
LABELLED: list[tuple[str, str]] = [
    ("@brightline I was charged twice for March, please sort it out", NEGATIVE),
    ("@brightline_help is it down? dashboard shows a blank page", NEGATIVE),
    ("I want a refund for the annual plan, we never used it", NEGATIVE),
    ("@brightline the CSV export doesn't work since yesterday's update", NEGATIVE),
    ("Please cancel my subscription effective today", NEGATIVE),
    ("Still waiting on a reply to ticket #4821, three days now", NEGATIVE),
    ("@brightline_help can't log in after the password reset, help", NEGATIVE),
    ("Your invoice sync is broken again. Third time this month.", NEGATIVE),
    ("Got double billed for the same seat, who do I talk to?", NEGATIVE),
    ("Terrible support experience, nobody answered my emails", NEGATIVE),
    ("We lost all our invoices after the migration. This is a disaster.", NEGATIVE),
    ("Honestly disappointed with the latest release, so many bugs", NEGATIVE),
    ("Is the API down again? Getting 503 error on every call", NEGATIVE),
    ("We are switching to a competitor if this isn't fixed by Friday", NEGATIVE),
    ("The reconciliation screen is not loading for anyone on our team", NEGATIVE),
    ("@brightline you overcharged us on the last three invoices", NEGATIVE),
    ("@brightline love the new approvals flow, saved us hours this week!", POSITIVE),
    ("Thanks @brightline_help, Maria fixed it in five minutes. Great support!", POSITIVE),
    ("Brightline's close checklist is brilliant, our month-end is so much calmer", POSITIVE),
    ("Big thanks to the team for the quick turnaround on our feature request", POSITIVE),
    ("Happy to recommend @brightline to any finance team, easy to use and reliable", POSITIVE),
    ("The new dashboard looks amazing 😍", POSITIVE),
    ("Excellent webinar today, learned a lot about automated accruals", POSITIVE),
    ("Just renewed for another year, we're very pleased with it", POSITIVE),
    ("@brightline awesome, the Xero integration works perfectly now", POSITIVE),
    ("Kudos to your onboarding team, best vendor onboarding we've had", POSITIVE),
    ("@brightline does the Pro plan include multi-currency?", NEUTRAL),
    ("What time is the maintenance window on Sunday?", NEUTRAL),
    ("Can I add a second admin to our workspace?", NEUTRAL),
    ("@brightline_help where do I find the audit log export?", NEUTRAL),
    ("Is there an API endpoint for creating vendors?", NEUTRAL),
    ("We're evaluating tools for AP automation, can someone from sales call me?", NEUTRAL),
    ("Our fiscal year starts in April, how do I set that up?", NEUTRAL),
    ("Reading the Brightline report on close times in mid-size companies", NEUTRAL),
    ("Do you have a SOC 2 report we can review?", NEUTRAL),
    ("Moving our team to the EU data region next month, any steps to follow?", NEUTRAL),
]


def test_the_labelled_set_is_big_enough_and_balanced():
    assert len(LABELLED) >= 30
    assert {label for _t, label in LABELLED} == {POSITIVE, NEUTRAL, NEGATIVE}


def test_the_scorer_agrees_with_people_on_the_labelled_set():
    pairs = [(score(text).label, label) for text, label in LABELLED]
    wrong = [(text, s, p) for (text, _), (s, p) in zip(LABELLED, pairs, strict=True) if s != p]
    assert macro_f1(pairs) >= 0.85, wrong
    assert len(wrong) <= 4, wrong


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("I was charged twice", "charged twice"),
        ("Hey, is it down?", "is it down"),
        ("I'd like a refund please :)", "refund"),
        ("The export doesn’t work", "doesn't work"),
        ("Please cancel my account, thanks so much!", "cancel my"),
        ("Billed two times this month, great job 👍", "charged twice"),
    ],
)
def test_complaint_cues_force_negative_even_with_friendly_words(text, cue):
    result = score(text)
    assert result.label == NEGATIVE and cue in result.cues
    assert result.compound <= -0.4


def test_plain_scores():
    assert score("") == score("   ") == score("") and score("").label == NEUTRAL
    happy = score("Thank you, this is wonderful!")
    assert happy.label == POSITIVE and happy.compound > 0.5 and happy.cues == ()
    assert score("What are your opening hours?").label == NEUTRAL
    assert score("This is awful and I hate it").label == NEGATIVE
    assert score("I was charged twice") == score("I was charged twice")  # deterministic


def test_macro_f1():
    assert macro_f1([]) is None  # nothing corrected yet: no data, not 0
    assert macro_f1([(POSITIVE, POSITIVE), (NEGATIVE, NEGATIVE)]) == 1.0
    assert macro_f1([(POSITIVE, NEGATIVE), (NEGATIVE, POSITIVE)]) == 0.0
    # positive: tp 1, fp 1, fn 0 → 2/3; negative: tp 0, fn 1 → 0; mean 1/3
    assert macro_f1([(POSITIVE, POSITIVE), (POSITIVE, NEGATIVE)]) == pytest.approx(1 / 3)
