"""The read endpoints: users, timelines, lists, recent search and post lookup."""

from __future__ import annotations

from collections.abc import Callable

from xsim.clock import id_floor, iso
from xsim.fields import (
    LIST_EXPANSIONS,
    TWEET_EXPANSIONS,
    USER_EXPANSIONS,
)
from xsim.model import Tweet
from xsim.paging import (
    list_or_error,
    offset_page,
    timeline_page,
    user_or_error,
)
from xsim.params import (
    HOME_REACH,
    ID_RE,
    LIST_TWEETS_REACH,
    SEARCH_WINDOW,
    USER_TWEETS_REACH,
    USERNAME_RE,
    Ctx,
    choices,
    list_values,
    max_results,
    path_id,
    query_time,
    renderer,
    time_window,
)
from xsim.query import QueryError, compile_query
from xsim.shapes import (
    forbidden,
    invalid_request,
    not_found,
)

# --- users --------------------------------------------------------------------------------


def users_me(ctx: Ctx) -> tuple[int, dict[str, object]]:
    r = renderer(ctx, USER_EXPANSIONS)
    ctx.owned = True
    data = r.user(ctx.me)
    r.expand_user(ctx.me)
    return 200, r.body(data)


def users_by_username(ctx: Ctx) -> tuple[int, dict[str, object]]:
    username = ctx.path_params["username"]
    if not USERNAME_RE.match(username):
        raise invalid_request(
            "username",
            [username],
            f"The `username` query parameter value [{username}] does not match "
            "^[A-Za-z0-9_]{1,15}$",
        )
    r = renderer(ctx, USER_EXPANSIONS)
    user = ctx.world.user_by_username(username)
    if user is None:
        return 200, r.body(
            extra_errors=[
                not_found(
                    "user",
                    "username",
                    username,
                    f"Could not find user with username: [{username}].",
                )
            ]
        )
    data = r.user(user)
    r.expand_user(user)
    return 200, r.body(data)


def users_by(ctx: Ctx) -> tuple[int, dict[str, object]]:
    names = list_values(ctx, "usernames") or []
    if not names or len(names) > 100 or any(not USERNAME_RE.match(n) for n in names):
        raise invalid_request(
            "usernames",
            names,
            "The `usernames` query parameter value must be 1 to 100 usernames matching "
            "^[A-Za-z0-9_]{1,15}$",
        )
    r = renderer(ctx, USER_EXPANSIONS)
    data, errors = [], []
    for name in names:
        user = ctx.world.user_by_username(name)
        if user is None:
            errors.append(
                not_found(
                    "user", "usernames", name, f"Could not find user with usernames: [{name}]."
                )
            )
        else:
            data.append(r.user(user))
            r.expand_user(user)
    return 200, r.body(data, extra_errors=errors)


def users_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    r = renderer(ctx, USER_EXPANSIONS)
    user = ctx.world.users.get(user_id)
    if user is None:
        return 200, r.body(
            extra_errors=[
                not_found("user", "id", str(user_id), f"Could not find user with id: [{user_id}].")
            ]
        )
    data = r.user(user)
    r.expand_user(user)
    return 200, r.body(data)


def users_by_ids(ctx: Ctx) -> tuple[int, dict[str, object]]:
    ids = list_values(ctx, "ids") or []
    if not ids or len(ids) > 100 or any(not ID_RE.match(i) for i in ids):
        raise invalid_request("ids", ids, "The `ids` query parameter value must be 1 to 100 ids")
    r = renderer(ctx, USER_EXPANSIONS)
    data, errors = [], []
    for raw in ids:
        user = ctx.world.users.get(int(raw))
        if user is None:
            errors.append(not_found("user", "ids", raw, f"Could not find user with ids: [{raw}]."))
        else:
            data.append(r.user(user))
            r.expand_user(user)
    return 200, r.body(data, extra_errors=errors)


def users_mentions(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 5, 100, 10)
    renderer(ctx, TWEET_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    ctx.owned = ctx.principal.user_id == user.id
    lists = ctx.world.mention_lists(user.id)
    data, meta = timeline_page(ctx, lists, limit=limit, reach=ctx.mentions_reach)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def users_tweets(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 5, 100, 10)
    exclude = choices(ctx, "exclude", frozenset({"retweets", "replies"}))
    renderer(ctx, TWEET_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    ctx.owned = ctx.principal.user_id == user.id
    accept = None
    if exclude:

        def accept(t: Tweet) -> bool:
            return not (
                ("retweets" in exclude and t.is_retweet) or ("replies" in exclude and t.is_reply)
            )

    lists = ctx.world.author_lists([user.id])
    data, meta = timeline_page(ctx, lists, limit=limit, reach=USER_TWEETS_REACH, accept=accept)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def users_owned_lists(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 100, 100)
    r = renderer(ctx, LIST_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    # Private lists exist only for their owner; everyone else never learns of them.
    visible = [
        xl
        for xl in ctx.world.owned_lists(user.id)
        if not xl.private or ctx.principal.user_id == user.id
    ]
    start, end, meta = offset_page(ctx, len(visible), limit)
    data = [r.xlist(xl) for xl in visible[start:end]]
    return 200, r.body(data, meta)


def users_followers(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 1000, 100)
    r = renderer(ctx, USER_EXPANSIONS)
    user = user_or_error(ctx, user_id)
    followers = ctx.world.followers(user.id)
    start, end, meta = offset_page(ctx, len(followers), limit)
    data = []
    for uid in followers[start:end]:
        follower = ctx.world.users[uid]
        data.append(r.user(follower))
        r.expand_user(follower)
    meta.pop("previous_token", None)
    return 200, r.body(data, meta)


def users_home_timeline(ctx: Ctx) -> tuple[int, dict[str, object]]:
    user_id = path_id(ctx)
    limit = max_results(ctx, 1, 100, 100)
    renderer(ctx, TWEET_EXPANSIONS)
    if user_id != ctx.principal.user_id:
        raise forbidden("You can only request the home timeline of the authenticated user.")
    ctx.owned = True
    authors = ctx.world.following(user_id) | {user_id}
    lists = ctx.world.author_lists(authors)
    data, meta = timeline_page(ctx, lists, limit=limit, reach=HOME_REACH)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


# --- lists --------------------------------------------------------------------------------


def lists_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    r = renderer(ctx, LIST_EXPANSIONS)
    xlist = list_or_error(ctx)
    return 200, r.body(r.xlist(xlist))


def lists_members(ctx: Ctx) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    r = renderer(ctx, USER_EXPANSIONS)
    xlist = list_or_error(ctx)
    start, end, meta = offset_page(ctx, len(xlist.member_ids), limit)
    data = []
    for uid in xlist.member_ids[start:end]:
        member = ctx.world.users[uid]
        data.append(r.user(member))
        r.expand_user(member)
    return 200, r.body(data, meta)


def lists_tweets(ctx: Ctx) -> tuple[int, dict[str, object]]:
    limit = max_results(ctx, 1, 100, 100)
    renderer(ctx, TWEET_EXPANSIONS)
    xlist = list_or_error(ctx)
    lists = ctx.world.author_lists(xlist.member_ids)
    # X's list timeline gives result_count and tokens, never newest_id/oldest_id.
    data, meta = timeline_page(ctx, lists, limit=limit, reach=LIST_TWEETS_REACH, with_ids=False)
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


# --- posts --------------------------------------------------------------------------------


def _matcher(ctx: Ctx) -> Callable[[Tweet], bool]:
    raw = ctx.query.get("query")
    if raw is None or raw == "":
        raise invalid_request("query", [raw or ""], "The `query` query parameter can not be empty")
    try:
        match = compile_query(raw)
    except QueryError as exc:
        raise invalid_request("query", [raw], str(exc)) from None
    world = ctx.world
    return lambda t: match(world.doc(t))


def _search_bounds(ctx: Ctx) -> int:
    """The oldest id recent search may return; X refuses start_time outside its 7 days
    and end_time less than 10 seconds ago."""
    oldest = ctx.now - SEARCH_WINDOW
    start, end = query_time(ctx, "start_time"), query_time(ctx, "end_time")
    if start is not None and start < oldest:
        raw = ctx.query["start_time"]
        raise invalid_request(
            "start_time",
            [raw],
            f"Invalid 'start_time':'{raw}'. 'start_time' must be on or after {iso(oldest)}",
        )
    if end is not None and end > ctx.now - 10:
        raw = ctx.query["end_time"]
        raise invalid_request(
            "end_time",
            [raw],
            f"Invalid 'end_time':'{raw}'. "
            "'end_time' must be a minimum of 10 seconds prior to the request time.",
        )
    return id_floor(oldest) - 1


def search_recent(ctx: Ctx) -> tuple[int, dict[str, object]]:
    accept = _matcher(ctx)
    limit = max_results(ctx, 10, 100, 10)
    choices(ctx, "sort_order", frozenset({"recency", "relevancy"}))
    renderer(ctx, TWEET_EXPANSIONS)
    floor = _search_bounds(ctx)
    token_param = "pagination_token" if "pagination_token" in ctx.query else "next_token"
    lists = ctx.world.all_lists()
    data, meta = timeline_page(
        ctx, lists, limit=limit, floor=floor, accept=accept, token_param=token_param
    )
    meta.pop("previous_token", None)  # recent search only pages forward
    return 200, ctx.renderer.body(data, meta)  # type: ignore[union-attr]


def counts_recent(ctx: Ctx) -> tuple[int, dict[str, object]]:
    accept = _matcher(ctx)
    granularity = ctx.query.get("granularity", "hour")
    step = {"minute": 60, "hour": 3600, "day": 86400}.get(granularity)
    if step is None:
        raise invalid_request(
            "granularity",
            [granularity],
            f"The `granularity` query parameter value [{granularity}] "
            "is not one of [day,hour,minute]",
        )
    floor = _search_bounds(ctx)
    window = time_window(ctx).narrow(lo=floor)
    start = query_time(ctx, "start_time") or ctx.now - SEARCH_WINDOW
    end = query_time(ctx, "end_time") or ctx.now
    buckets: dict[int, int] = {}
    world = ctx.world
    lists = world.all_lists()
    for tweet_id in world.page(lists, window, 10**9, accept=accept).ids:
        created = world.tweets[tweet_id].created_at
        if start <= created < end:
            key = int(created // step)
            buckets[key] = buckets.get(key, 0) + 1
    data = []
    first = int(start // step)
    for key in range(first, int((end - 1e-9) // step) + 1):
        bucket_start = max(start, key * step)
        bucket_end = min(end, (key + 1) * step)
        data.append(
            {"end": iso(bucket_end), "start": iso(bucket_start), "tweet_count": buckets.get(key, 0)}
        )
    return 200, {"data": data, "meta": {"total_tweet_count": sum(buckets.values())}}


def tweets_by_ids(ctx: Ctx) -> tuple[int, dict[str, object]]:
    ids = list_values(ctx, "ids") or []
    if not ids or len(ids) > 100 or any(not ID_RE.match(i) for i in ids):
        raise invalid_request(
            "ids",
            ids,
            "The `ids` query parameter value must be 1 to 100 ids matching ^[0-9]{1,19}$",
        )
    r = renderer(ctx, TWEET_EXPANSIONS)
    data, errors = [], []
    for raw in ids:
        tweet = ctx.world.tweet(int(raw))
        if tweet is None:
            errors.append(
                not_found("tweet", "ids", raw, f"Could not find tweet with ids: [{raw}].")
            )
            continue
        obj = r.tweet(tweet, parameter="ids")
        if obj is not None:
            data.append(obj)
            r.expand_tweet(tweet)
    return 200, r.body(data, extra_errors=errors)


def tweets_by_id(ctx: Ctx) -> tuple[int, dict[str, object]]:
    tweet_id = path_id(ctx)
    r = renderer(ctx, TWEET_EXPANSIONS)
    tweet = ctx.world.tweet(tweet_id)
    if tweet is None:
        return 200, r.body(
            extra_errors=[
                not_found(
                    "tweet", "id", str(tweet_id), f"Could not find tweet with id: [{tweet_id}]."
                )
            ]
        )
    obj = r.tweet(tweet)
    if obj is not None:
        r.expand_tweet(tweet)
    return 200, r.body(obj)
