"""Pages of posts and of other things, with X's ``meta``, and X's "not found" answers."""

from __future__ import annotations

from collections.abc import Callable

from xsim.fields import (
    TWEET_EXPANSIONS,
)
from xsim.model import Tweet, User, XList
from xsim.params import (
    Ctx,
    decode_token,
    encode_token,
    path_id,
    renderer,
    time_window,
)
from xsim.shapes import (
    Renderer,
    not_authorized,
    not_found,
)
from xsim.world import Page

# --- shared answers -----------------------------------------------------------------------


def user_or_error(ctx: Ctx, user_id: int, parameter: str = "id") -> User:
    user = ctx.world.users.get(user_id)
    if user is None:
        raise NotFound(
            not_found(
                "user",
                parameter,
                str(user_id),
                f"Could not find user with {parameter}: [{user_id}].",
            )
        )
    return user


class NotFound(Exception):
    """X's "not found": HTTP 200 with only an ``errors`` array."""

    def __init__(self, error: dict[str, object]) -> None:
        super().__init__(error["detail"])
        self.error = error


def list_or_error(ctx: Ctx) -> XList:
    list_id = path_id(ctx)
    xlist = ctx.world.lists.get(list_id)
    if xlist is None:
        raise NotFound(
            not_found("list", "id", str(list_id), f"Could not find list with id: [{list_id}].")
        )
    if xlist.private and ctx.principal.user_id != xlist.owner_id:
        raise NotFound(
            not_authorized(
                "list", "id", str(list_id), f"You cannot view the List with id: [{list_id}]."
            )
        )
    return xlist


def timeline_page(
    ctx: Ctx,
    lists: list[list[int]],
    *,
    limit: int,
    reach: int | None = None,
    floor: int = 0,
    accept: Callable[[Tweet], bool] | None = None,
    token_param: str = "pagination_token",
    with_ids: bool = True,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """One page of a post timeline, newest first, and X's ``meta`` for it.

    1. The window is since_id/until_id (or start/end time), narrowed to what the
       timeline reaches (``reach`` newest posts, or the ``floor`` id for recent search).
    2. A next_token continues below the page's oldest id; a previous_token above its
       newest. A client that keeps since_id while following next_token, then polls with
       the first page's newest_id, sees every post exactly once, however many arrive.
    """
    world = ctx.world
    window = time_window(ctx).narrow(lo=floor)
    if reach is not None:
        window = window.narrow(lo=world.reach_floor(lists, reach, accept))
    token = decode_token(ctx, token_param, "np")
    if token is None or token[0] == "n":
        page = world.page(
            lists, window.narrow(hi=token[1]) if token else window, limit, accept=accept
        )
    else:
        page = world.page(lists, window.narrow(lo=token[1]), limit, newer=True, accept=accept)
        if page.ids:
            older = world.page(lists, window.narrow(hi=page.ids[-1]), 1, accept=accept)
            page = Page(page.ids, bool(older.ids), page.more_newer)
    r = ctx.renderer or renderer(ctx, TWEET_EXPANSIONS)
    data = render_tweets(ctx, r, page.ids)
    meta: dict[str, object] = {}
    if with_ids and page.ids:
        meta["newest_id"] = str(page.ids[0])
        meta["oldest_id"] = str(page.ids[-1])
    meta["result_count"] = len(data)
    if page.ids and page.more_older:
        meta["next_token"] = encode_token(ctx.token_secret, "n", page.ids[-1])
    if page.ids and token is not None:
        meta["previous_token"] = encode_token(ctx.token_secret, "p", page.ids[0])
    return data, meta


def render_tweets(
    ctx: Ctx, r: Renderer, ids: list[int], parameter: str = "id"
) -> list[dict[str, object]]:
    data = []
    for tweet_id in ids:
        tweet = ctx.world.tweets[tweet_id]
        obj = r.tweet(tweet, parameter=parameter)
        if obj is not None:
            data.append(obj)
            r.expand_tweet(tweet)
    return data


def offset_page(ctx: Ctx, total: int, limit: int) -> tuple[int, int, dict[str, object]]:
    token = decode_token(ctx, "pagination_token", "o")
    offset = token[1] if token else 0
    end = min(total, offset + limit)
    meta: dict[str, object] = {"result_count": max(0, end - offset)}
    if end < total:
        meta["next_token"] = encode_token(ctx.token_secret, "o", end)
    if offset > 0:
        meta["previous_token"] = encode_token(ctx.token_secret, "o", max(0, offset - limit))
    return offset, end, meta
