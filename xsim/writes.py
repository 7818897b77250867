"""The write endpoints (posts, DMs) and the DM reads that share their rules."""

from __future__ import annotations

from typing import Any

from xsim.clock import DAY
from xsim.fields import (
    DM_EXPANSIONS,
)
from xsim.model import URL_RE, User
from xsim.params import (
    CONVERSATION_RE,
    DM_EVENT_TYPES,
    ID_RE,
    MAX_TWEET_LENGTH,
    TCO_LENGTH,
    Ctx,
    choices,
    decode_token,
    encode_token,
    max_results,
    path_id,
    renderer,
)
from xsim.shapes import (
    forbidden,
    invalid_request,
    not_found,
)
from xsim.store import INF_ID
from xsim.world import conversation_id


def _weighted_length(text: str) -> int:
    return len(URL_RE.sub("x" * TCO_LENGTH, text))


def tweets_create(ctx: Ctx) -> tuple[int, dict[str, object]]:
    body = ctx.json()
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise invalid_request("text", [str(text)], "text: must be a string")
    reply = body.get("reply")
    quote_id = body.get("quote_tweet_id")
    if not text and not body.get("media") and not body.get("poll") and not quote_id:
        raise invalid_request(
            "text", [""], "Post text must be present unless media, a poll or a quote is given"
        )
    text = text or ""
    if _weighted_length(text) > MAX_TWEET_LENGTH:
        raise forbidden(
            "Your Tweet text is too long. For more information on how X determines text length "
            "see https://github.com/twitter/twitter-text."
        )
    world, me = ctx.world, ctx.me
    parent = None
    if reply is not None:
        parent_raw = str(reply.get("in_reply_to_tweet_id", "")) if isinstance(reply, dict) else ""
        if not ID_RE.match(parent_raw):
            raise invalid_request(
                "reply.in_reply_to_tweet_id",
                [parent_raw],
                "reply.in_reply_to_tweet_id: must be a post id",
            )
        parent = world.tweet(int(parent_raw))
        if parent is None:
            raise forbidden(
                "You attempted to reply to a Tweet that is deleted or not visible to you."
            )
    quoted = None
    if quote_id is not None:
        quoted = world.tweet(int(quote_id)) if ID_RE.match(str(quote_id)) else None
        if quoted is None:
            raise forbidden("You attempted to quote a Tweet that is deleted or not visible to you.")
    # X refuses the same text twice from one account within a while; this is what makes
    # a retried publish fail loudly instead of posting twice.
    for earlier_id in reversed(world.posted[-500:]):
        earlier = world.tweets[earlier_id]
        if ctx.now - earlier.created_at > DAY:
            break
        if (
            earlier.author_id == me.id
            and not earlier.deleted
            and world.submitted.get(earlier_id) == text
        ):
            raise forbidden("You are not allowed to create a Tweet with duplicate content.")
    tweet = world.add_tweet(author=me, text=text, reply_to=parent, quote_of=quoted, origin="posted")
    world.submitted[tweet.id] = text
    return 201, {
        "data": {
            "id": str(tweet.id),
            "text": tweet.text,
            "edit_history_tweet_ids": [str(tweet.id)],
        }
    }


def tweets_delete(ctx: Ctx) -> tuple[int, dict[str, object]]:
    tweet_id = path_id(ctx)
    tweet = ctx.world.tweet(tweet_id)
    if tweet is None:
        return 200, {
            "errors": [
                not_found(
                    "tweet", "id", str(tweet_id), f"Could not find tweet with id: [{tweet_id}]."
                )
            ]
        }
    if tweet.author_id != ctx.principal.user_id:
        raise forbidden("You are not allowed to delete a Tweet you did not create.")
    ctx.world.delete_tweet(tweet)
    return 200, {"data": {"deleted": True}}


# --- reposts ------------------------------------------------------------------------------


def _acting_user(ctx: Ctx) -> None:
    """X's user-context writes under /2/users/:id act for the token's user only."""
    if path_id(ctx) != ctx.principal.user_id:
        raise forbidden("You are not permitted to perform this action on behalf of another user.")


def users_retweets_create(ctx: Ctx) -> tuple[int, dict[str, object]]:
    _acting_user(ctx)
    raw = ctx.json().get("tweet_id")
    if not isinstance(raw, str | int) or not ID_RE.match(str(raw)):
        raise invalid_request("tweet_id", [str(raw)], "tweet_id: must be a post id")
    world, me = ctx.world, ctx.me
    source = world.tweet(int(raw))
    if source is not None and source.is_retweet:
        # Reposting a repost reposts the post it carries, as on X.
        original = next(i for kind, i in source.referenced if kind == "retweeted")
        source = world.tweet(original)
    if source is None:
        raise forbidden("You attempted to Retweet a Tweet that is deleted or not visible to you.")
    author = world.users[source.author_id]
    if author.protected and author.id != me.id:
        raise forbidden("You cannot Retweet the Tweets of a protected user.")
    # One repost per account and post: asking again changes nothing and answers with the
    # repost there is, so a retried repost can never appear twice.
    repost = world.repost_of(me, source) or world.add_repost(author=me, source=source)
    return 200, {"data": {"id": str(repost.id), "retweeted": True}}


def users_retweets_delete(ctx: Ctx) -> tuple[int, dict[str, object]]:
    _acting_user(ctx)
    source_id = path_id(ctx, "source_tweet_id")
    world = ctx.world
    source = world.tweets.get(source_id)
    # X answers the same when there is no repost to undo (or no such post).
    repost = world.repost_of(ctx.me, source) if source is not None else None
    if repost is not None:
        world.delete_tweet(repost)
        del world.reposts[(ctx.me.id, source_id)]
    return 200, {"data": {"retweeted": False}}


# --- likes ------------------------------------------------------------------------------


def users_likes_create(ctx: Ctx) -> tuple[int, dict[str, object]]:
    _acting_user(ctx)
    raw = ctx.json().get("tweet_id")
    if not isinstance(raw, str | int) or not ID_RE.match(str(raw)):
        raise invalid_request("tweet_id", [str(raw)], "tweet_id: must be a post id")
    world, me = ctx.world, ctx.me
    tweet = world.tweet(int(raw))
    if tweet is None:
        raise forbidden("You attempted to like a Tweet that is deleted or not visible to you.")
    author = world.users[tweet.author_id]
    if author.protected and author.id != me.id:
        raise forbidden("You cannot like the Tweets of a protected user.")
    # One like per account and post: liking again answers the same, so a retried like
    # can never count twice.
    world.like(me, tweet)
    return 200, {"data": {"liked": True}}


def users_likes_delete(ctx: Ctx) -> tuple[int, dict[str, object]]:
    _acting_user(ctx)
    # X answers the same when there is no like to undo.
    ctx.world.unlike(ctx.me, path_id(ctx, "tweet_id"))
    return 200, {"data": {"liked": False}}


# --- direct messages ----------------------------------------------------------------------


def _dm_page(ctx: Ctx, ids: list[int]) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    types = choices(ctx, "event_types", frozenset(DM_EVENT_TYPES)) or frozenset(DM_EVENT_TYPES)
    r = renderer(ctx, DM_EXPANSIONS)
    ctx.owned = True
    token = decode_token(ctx, "pagination_token", "np")
    lo, hi = 0, INF_ID
    if token and token[0] == "n":
        hi = token[1]
    elif token:
        lo = token[1]
    events = ctx.world.dm_events
    chosen = [i for i in reversed(ids) if lo < i < hi and events[i].event_type in types]
    page = chosen[-limit:] if token and token[0] == "p" else chosen[:limit]
    data = [r.dm(events[i]) for i in page]
    meta: dict[str, object] = {"result_count": len(data)}
    if page:
        # X's DM timelines hand out both tokens on every non-empty page, even the last;
        # the end shows as an empty page.
        meta["next_token"] = encode_token(ctx.token_secret, "n", page[-1])
        meta["previous_token"] = encode_token(ctx.token_secret, "p", page[0])
    return 200, r.body(data, meta)


def dm_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    return _dm_page(ctx, ctx.world.dm_ids_for_user(ctx.me.id))


def _conversation(ctx: Ctx) -> str:
    conversation = ctx.path_params.get("id") or ctx.path_params["dm_conversation_id"]
    if not CONVERSATION_RE.match(conversation):
        raise invalid_request(
            "id",
            [conversation],
            f"The `id` query parameter value [{conversation}] is not a valid DM conversation id",
        )
    members = ctx.world.dm_conversations.get(conversation)
    if members is None and "-" in conversation:
        a, b = (int(p) for p in conversation.split("-"))
        if ctx.me.id in (a, b) and {a, b} <= ctx.world.users.keys():
            return conversation
    if members is None or ctx.me.id not in members:
        raise forbidden("You are not a participant of this conversation.")
    return conversation


def dm_conversation_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    return _dm_page(ctx, ctx.world.dm_ids_for_conversation(_conversation(ctx)))


def _participant(ctx: Ctx) -> User:
    other_id = path_id(ctx, "participant_id")
    other = ctx.world.users.get(other_id)
    if other is None or other.id == ctx.me.id:
        raise invalid_request(
            "participant_id",
            [str(other_id)],
            f"The `participant_id` value [{other_id}] is not a user you can message",
        )
    return other


def dm_with_events(ctx: Ctx) -> tuple[int, dict[str, object]]:
    other = _participant(ctx)
    return _dm_page(ctx, ctx.world.dm_ids_for_conversation(conversation_id(ctx.me.id, other.id)))


def _message_text(ctx: Ctx, body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid_request("text", [str(text)], "text: a message needs text")
    return text


def _dm_created(event_id: int, conversation: str) -> tuple[int, dict[str, object]]:
    return 201, {"data": {"dm_conversation_id": conversation, "dm_event_id": str(event_id)}}


def dm_send_with(ctx: Ctx) -> tuple[int, dict[str, object]]:
    other = _participant(ctx)
    text = _message_text(ctx, ctx.json())
    ctx.world.dm_stream.catch_up(ctx.world.until())
    event = ctx.world.add_dm(sender=ctx.me, recipient=other, text=text, sent=True)
    return _dm_created(event.id, event.conversation_id)


def dm_send_in(ctx: Ctx) -> tuple[int, dict[str, object]]:
    conversation = _conversation(ctx)
    text = _message_text(ctx, ctx.json())
    world = ctx.world
    world.dm_stream.catch_up(world.until())
    if conversation not in world.dm_conversations:
        a, b = (int(p) for p in conversation.split("-"))
        other = world.users[b if a == ctx.me.id else a]
        event = world.add_dm(sender=ctx.me, recipient=other, text=text, sent=True)
    else:
        event = world.add_dm(sender=ctx.me, text=text, conversation=conversation, sent=True)
    return _dm_created(event.id, event.conversation_id)


def dm_create_conversation(ctx: Ctx) -> tuple[int, dict[str, object]]:
    body = ctx.json()
    if body.get("conversation_type") != "Group":
        raise invalid_request(
            "conversation_type",
            [str(body.get("conversation_type"))],
            "conversation_type: must be Group",
        )
    raw_ids = body.get("participant_ids") or []
    members = [ctx.world.users.get(int(i)) for i in raw_ids if ID_RE.match(str(i))]
    if not members or None in members or len(members) != len(raw_ids):
        raise invalid_request(
            "participant_ids", [str(i) for i in raw_ids], "participant_ids: must be existing users"
        )
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    text = _message_text(ctx, message)  # type: ignore[arg-type]
    event = ctx.world.create_group(creator=ctx.me, members=members, text=text)  # type: ignore[arg-type]
    return _dm_created(event.id, event.conversation_id)
