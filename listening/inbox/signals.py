"""What the inbox tells the apps above it (they may import listening; listening may not
import them, ARCHITECTURE.md's layers).

`x_interaction` is sent inside the transaction that stores the reply or DM, so a
receiver's rows commit with it or not at all (receivers must not swallow their errors:
`send`, not `send_robust`). Keyword arguments, as prospects.services.interaction_record
takes them: x_user_id, kind ("our_reply", "dm_sent", "dm_received"), occurred_at, ref
("tweet:<id>" or "dm:<event id>", naming the row once), text, actor (the person who sent
it, or None), tweet_id."""

from __future__ import annotations

from datetime import datetime

from django.dispatch import Signal

from socialops.models import User

x_interaction = Signal()
SENDER = "listening.inbox"


def interaction(
    *,
    x_user_id: int | None,
    kind: str,
    occurred_at: datetime,
    ref: str,
    text: str = "",
    actor: User | None = None,
    tweet_id: int | None = None,
) -> None:
    if not x_user_id:
        return
    x_interaction.send(
        sender=SENDER,
        x_user_id=x_user_id,
        kind=kind,
        occurred_at=occurred_at,
        ref=ref,
        text=text,
        actor=actor if actor is not None and actor.is_authenticated else None,
        tweet_id=tweet_id,
    )
