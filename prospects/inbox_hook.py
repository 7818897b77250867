"""The inbox's replies and DMs on prospects' timelines: listening sits below prospects
and cannot call interaction_record itself, so it sends listening.inbox.signals.
x_interaction (inside its transaction) and this receiver hands it over."""

from __future__ import annotations

from prospects.services import interaction_record


def on_x_interaction(sender, **kwargs) -> None:
    kwargs.pop("signal", None)
    interaction_record(**kwargs)
