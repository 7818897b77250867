"""Use cases for tracked links and their clicks."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    connections,
    transaction,
)

from campaigns.links import buffer, spool
from campaigns.links import permissions as perms
from campaigns.links.selectors import link_target_forget
from campaigns.models import Campaign, Click, TrackedLink, validate_destination
from campaigns.services import utm_value_errors
from socialops.marks import Family, mark
from socialops.models import DirtyDay, User
from socialops.permissions import require
from socialops.services import instance_save

log = logging.getLogger(__name__)

CODE_BYTES = 5  # 5 random bytes are 7 url-safe characters
REFERRER_MAX = Click._meta.get_field("referrer").max_length
USER_AGENT_MAX = Click._meta.get_field("user_agent").max_length


def _new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def link_create(
    *,
    actor: User,
    destination: str,
    campaign: Campaign | None = None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_content: str = "",
) -> TrackedLink:
    """A new short link to `destination`. Invalid input raises ValidationError with
    field errors; a code collision (1 in 3.5e12 per pair) draws a new code."""
    require(perms.can_create_link(actor, campaign), "You cannot create links for this campaign.")
    for _attempt in range(5):
        link = TrackedLink(
            campaign=campaign,
            destination=destination.strip(),
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=utm_campaign,
            utm_content=utm_content,
            code=_new_code(),
            created_by=actor,
        )
        link.full_clean()
        try:
            with transaction.atomic():
                # full_clean() ran above; a code another link took meanwhile is redrawn.
                instance_save(
                    actor=actor,
                    instance=link,
                    department=campaign.department if campaign else None,
                    validate=False,
                )
        except IntegrityError:
            if TrackedLink.objects.filter(code=link.code).exists():
                continue
            raise
        link_target_forget(code=link.code)
        return link
    raise RuntimeError("could not draw a free short code")


# --- Clicks ---------------------------------------------------------------------------


_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True)
class ClickEvent:
    """A click as the redirect captured it; JSON in the Redis buffer."""

    click_id: str
    link_id: int
    at: float  # seconds since the epoch
    referrer: str
    user_agent: str
    is_bot: bool
    visitor_key: str

    @classmethod
    def new(
        cls, *, link_id: int, referrer: str, user_agent: str, is_bot: bool, visitor_key: str
    ) -> ClickEvent:
        return cls(
            # 128 random bits as 32 hex digits, like uuid4().hex without its ~1 µs of
            # object building (the redirect counts microseconds).
            click_id=os.urandom(16).hex(),
            link_id=link_id,
            at=time.time(),
            referrer=referrer[:REFERRER_MAX],
            user_agent=user_agent[:USER_AGENT_MAX],
            is_bot=is_bot,
            visitor_key=visitor_key,
        )

    def to_json(self) -> str:
        # Not dataclasses.asdict: its deep copy costs more than the rest of the event. One
        # encoder kept: json.dumps with separators builds a new one per call.
        return _COMPACT_JSON.encode(self.__dict__)

    def to_click(self) -> Click:
        return Click(
            click_id=self.click_id,
            link_id=self.link_id,
            clicked_at=datetime.fromtimestamp(self.at, UTC),
            referrer=self.referrer,
            user_agent=self.user_agent,
            is_bot=self.is_bot,
            visitor_key=self.visitor_key,
        )


def clicks_store(*, events: list[ClickEvent]) -> int:
    """Insert clicks in bulk, once each: a click id already stored is skipped, and a
    click on a link deleted since is dropped. Returns how many events were given."""
    if not events:
        return 0
    link_ids = set(
        TrackedLink.objects.filter(pk__in={e.link_id for e in events}).values_list("pk", flat=True)
    )
    clicks = [e.to_click() for e in events if e.link_id in link_ids]
    with transaction.atomic():
        Click.objects.bulk_create(clicks, ignore_conflicts=True, batch_size=1000)
        # Days of clicks already stored (skipped) are marked too: harmless, and the ORM
        # cannot say which rows ignore_conflicts skipped.
        mark(Family.CLICKS, [c.clicked_at for c in clicks])
    return len(events)


def click_capture(*, event: ClickEvent) -> None:
    """Where Redis buffers clicks: append the click to this process's spool, whose shipper
    takes it on to Redis (or pushes it to Redis now when there is no spool). With no Redis,
    or when neither takes it, write it to the database now. Stored exactly once either way."""
    if buffer.enabled():
        payload = event.to_json()
        folder = settings.CLICK_SPOOL_DIR
        found = folder and (spool.running(folder) or _spool_start(folder))
        if found and found.append(payload):
            return
        if buffer.push(payload):
            return
    clicks_store(events=[event])


def _spool_start(folder: str) -> spool.Spool | None:
    return spool.get(
        folder,
        deliver=clicks_ship,
        interval=settings.CLICK_SPOOL_SHIP_MS / 1000,
        rotate_bytes=settings.CLICK_SPOOL_ROTATE_MB * 1024 * 1024,
        # The database connection the shipper opened when Redis was away is its own.
        on_stop=connections.close_all,
    )


def clicks_spool_start() -> None:
    """Start this process's click spool where there is one to keep (Redis and a spool
    folder configured): web processes call it at start-up."""
    if buffer.enabled() and settings.CLICK_SPOOL_DIR:
        _spool_start(settings.CLICK_SPOOL_DIR)


def clicks_ship(lines: list[bytes]) -> bool:
    """The spool's delivery: the clicks straight into the database, one INSERT a batch.
    False when the database does not answer: the lines stay in the spool, which tries
    again, so a click leaves the web host's disk only once the database has it. (Through
    Redis, a Redis that keeps nothing on disk lost the clicks it held when it died.)"""
    try:
        clicks_store_lines(lines=lines)
    except DatabaseError:
        log.warning("database unavailable; clicks wait in the spool")
        # The shipper's thread keeps a connection of its own: a broken one is replaced
        # on the next try.
        with contextlib.suppress(DatabaseError):
            connections["default"].close()
        return False
    return True


def clicks_store_lines(*, lines: list[bytes]) -> None:
    """Store spooled click events (JSON lines) once each, like clicks_store(). On
    PostgreSQL the lines go to the database as one JSON array and one INSERT ... SELECT
    unpacks them: no Python object per click in the web process, whose CPU serves the
    redirects. A batch PostgreSQL refuses (a malformed line) goes through clicks_store(),
    which drops the malformed lines."""
    if not lines:
        return
    if connections["default"].vendor == "postgresql":
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute(_INSERT_FROM_JSON, [_json_array(lines)])
            return
        except (DataError, IntegrityError):
            pass
    clicks_store(events=_parse(lines))


def _json_array(lines: list[bytes]) -> str:
    return (b"[" + b",".join(lines) + b"]").decode("utf-8", errors="replace")


# The clicks and the metrics' marks of their days (socialops.marks) in one statement: the
# days of the rows really inserted, each once, in order (two shippers marking the same two
# days lock them in the same order, so they cannot deadlock). A batch is a few seconds of
# clicks, so that is one day, or two around midnight UTC.
_INSERT_FROM_JSON = f"""
    WITH inserted AS (
        INSERT INTO {Click._meta.db_table}
            (click_id, link_id, clicked_at, referrer, user_agent, is_bot, visitor_key)
        SELECT e.click_id, e.link_id, to_timestamp(e.at), left(e.referrer, {REFERRER_MAX}),
               left(e.user_agent, {USER_AGENT_MAX}), e.is_bot, e.visitor_key
        FROM jsonb_to_recordset(%s::jsonb) AS e(
            click_id text, link_id bigint, at double precision, referrer text,
            user_agent text, is_bot boolean, visitor_key text)
        WHERE e.link_id IN (SELECT id FROM {TrackedLink._meta.db_table})
        ON CONFLICT (click_id) DO NOTHING
        RETURNING clicked_at
    )
    INSERT INTO {DirtyDay._meta.db_table} AS marked (family, day, version)
    SELECT '{Family.CLICKS}', day, 1
    FROM (SELECT DISTINCT (clicked_at AT TIME ZONE 'UTC')::date AS day FROM inserted) AS days
    ORDER BY day
    ON CONFLICT (family, day) DO UPDATE SET version = marked.version + 1
"""


def clicks_adopt_spooled() -> int:
    """Ship the spool journals that stopped web processes left in CLICK_SPOOL_DIR (a web
    process does this itself every few seconds; the flush task does it too, for a host
    whose web processes are all gone). Returns how many journals it shipped."""
    if not settings.CLICK_SPOOL_DIR:
        return 0
    return spool.adopt_orphans(Path(settings.CLICK_SPOOL_DIR), deliver=clicks_ship)


def _parse(raw: list[bytes]) -> list[ClickEvent]:
    events = []
    for item in raw:
        try:
            events.append(ClickEvent(**json.loads(item)))
        except (ValueError, TypeError):
            # A malformed entry would block the queue forever if kept.
            log.error("dropping a malformed click event: %r", item[:200])
    return events


def _drain(client, key: str) -> int:
    """Store everything in a processing list, then delete the list. A crash between the
    two leaves the list for the next flush; stored click ids are skipped then."""
    raw = client.lrange(key, 0, -1)
    stored = clicks_store(events=_parse(raw))
    client.delete(key)
    return stored


def clicks_flush(*, batch_size: int, max_batches: int = 50, orphan_after: int = 60) -> int:
    """Move buffered clicks from Redis into the database, exactly once (reliable queue).

    1. Re-process this worker's processing list, if a crash left one.
    2. Adopt processing lists of other workers untouched for `orphan_after` seconds (a
       killed worker's): RENAMENX into ours (atomic: one adopter), then process it.
    3. Repeatedly LMOVE up to `batch_size` events from the queue into our processing
       list (one pipeline, each move atomic, so an event is always in one of the two
       lists), bulk insert them ignoring known click ids, then delete the list.

    A live worker whose list is adopted by mistake loses nothing: both insert the same
    click ids and the unique constraint keeps one. Returns the events processed.
    """
    client = buffer.client(buffer.FLUSH_TIMEOUT_SECONDS)
    mine = buffer.processing_key()
    done = 0
    if client.exists(mine):
        done += _drain(client, mine)
    for key in client.scan_iter(match=f"{buffer.PROCESSING_PREFIX}*", count=100):
        key = key.decode() if isinstance(key, bytes) else key
        if key == mine:
            continue
        try:
            idle = client.object("idletime", key)
        except redis.ResponseError:  # not available under an LFU eviction policy
            idle = orphan_after
        if idle is None or idle < orphan_after:
            continue
        if client.renamenx(key, mine):
            log.warning("re-processing clicks left by %s", key)
            done += _drain(client, mine)
    for _batch in range(max_batches):
        pipe = client.pipeline(transaction=False)
        for _ in range(batch_size):
            pipe.lmove(buffer.QUEUE_KEY, mine, "RIGHT", "LEFT")
        moved = [item for item in pipe.execute() if item is not None]
        if not moved:
            break
        done += _drain(client, mine)
        if len(moved) < batch_size:
            break
    return done


# --- Links made on the pages and through the API ---------------------------------------


@transaction.atomic
def link_create_tagged(
    *,
    actor: User,
    destination: str,
    campaign: Campaign | None = None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_content: str = "",
) -> TrackedLink:
    """link_create() for people: every UTM value given must be an active value of the
    naming registry (field errors otherwise); empty ones fall back to the campaign's.
    (link_create() itself takes what the calendar derives from a campaign as it is.)"""
    require(perms.can_create_link(actor, campaign), "You cannot create links for this campaign.")
    errors = {}
    for name, value in (
        ("utm_source", utm_source),
        ("utm_medium", utm_medium),
        ("utm_campaign", utm_campaign),
        ("utm_content", utm_content),
    ):
        problems = utm_value_errors(parameter=name, value=value)
        if problems:
            errors[name] = problems
    try:
        validate_destination((destination or "").strip())
    except ValidationError as exc:
        errors["destination"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return link_create(
        actor=actor,
        destination=destination,
        campaign=campaign,
        utm_source=utm_source,
        utm_medium=utm_medium,
        utm_campaign=utm_campaign,
        utm_content=utm_content,
    )
