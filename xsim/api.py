"""The X API v2 endpoints the simulator serves, with X's parameters, limits and quirks.

Each :class:`Route` names its rate limits (app-only / user context, per 15 minutes; no
app number means user context only, which X refuses app tokens for with 403), the
query parameters it accepts (X answers 400 for any other) and the OAuth 2.0 scopes a
user token needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xsim.lists import lists_create, lists_members_add, lists_members_remove
from xsim.paging import NotFound
from xsim.params import (
    DM_PARAMS,
    LIST_PARAMS,
    TIMELINE_PARAMS,
    TWEET_PARAMS,
    USER_PARAMS,
    Ctx,
    Handler,
)
from xsim.reads import (
    counts_recent,
    lists_by_id,
    lists_members,
    lists_tweets,
    search_recent,
    tweets_by_id,
    tweets_by_ids,
    users_by,
    users_by_id,
    users_by_ids,
    users_by_username,
    users_followers,
    users_home_timeline,
    users_me,
    users_mentions,
    users_owned_lists,
    users_tweets,
)
from xsim.shapes import invalid_request
from xsim.writes import (
    dm_conversation_events,
    dm_create_conversation,
    dm_events,
    dm_send_in,
    dm_send_with,
    dm_with_events,
    tweets_create,
    tweets_delete,
    users_likes_create,
    users_likes_delete,
    users_retweets_create,
    users_retweets_delete,
)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    app_limit: int | None
    user_limit: int
    params: frozenset[str] = frozenset()
    scopes: tuple[str, ...] = ("tweet.read", "users.read")
    app_only: bool = False
    regex: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        source = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", self.pattern)
        object.__setattr__(self, "regex", re.compile(f"^{source}$"))

    @property
    def name(self) -> str:
        return f"{self.method} {self.pattern}"


# --- the table ----------------------------------------------------------------------------

LIST_READ = ("tweet.read", "users.read", "list.read")
LIST_WRITE = ("list.write", "tweet.read", "users.read")
DM_READ = ("dm.read", "tweet.read", "users.read")
LIKE_WRITE = ("like.write", "tweet.read", "users.read")
DM_WRITE = ("dm.write", "dm.read", "tweet.read", "users.read")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/2/users/me", users_me, None, 75, USER_PARAMS),
    Route("GET", "/2/users/by/username/:username", users_by_username, 300, 900, USER_PARAMS),
    Route("GET", "/2/users/by", users_by, 300, 900, USER_PARAMS | {"usernames"}),
    Route("GET", "/2/users", users_by_ids, 300, 900, USER_PARAMS | {"ids"}),
    Route("GET", "/2/users/:id/mentions", users_mentions, 450, 300, TWEET_PARAMS | TIMELINE_PARAMS),
    Route(
        "GET",
        "/2/users/:id/tweets",
        users_tweets,
        1500,
        900,
        TWEET_PARAMS | TIMELINE_PARAMS | {"exclude"},
    ),
    Route(
        "GET",
        "/2/users/:id/owned_lists",
        users_owned_lists,
        15,
        15,
        LIST_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route(
        "GET",
        "/2/users/:id/followers",
        users_followers,
        15,
        15,
        USER_PARAMS | {"max_results", "pagination_token"},
        ("tweet.read", "users.read", "follows.read"),
    ),
    Route(
        "GET",
        "/2/users/:id/timelines/reverse_chronological",
        users_home_timeline,
        None,
        180,
        TWEET_PARAMS | TIMELINE_PARAMS | {"exclude"},
    ),
    Route(
        "POST",
        "/2/users/:id/retweets",
        users_retweets_create,
        None,
        50,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    Route(
        "DELETE",
        "/2/users/:id/retweets/:source_tweet_id",
        users_retweets_delete,
        None,
        50,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    # X: 50 likes and unlikes per 15 minutes per user (and 1,000 a day).
    Route("POST", "/2/users/:id/likes", users_likes_create, None, 50, scopes=LIKE_WRITE),
    Route(
        "DELETE",
        "/2/users/:id/likes/:tweet_id",
        users_likes_delete,
        None,
        50,
        scopes=LIKE_WRITE,
    ),
    Route("GET", "/2/users/:id", users_by_id, 300, 900, USER_PARAMS),
    Route(
        "GET",
        "/2/lists/:id/members",
        lists_members,
        900,
        900,
        USER_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route(
        "GET",
        "/2/lists/:id/tweets",
        lists_tweets,
        900,
        900,
        TWEET_PARAMS | {"max_results", "pagination_token"},
        LIST_READ,
    ),
    Route("GET", "/2/lists/:id", lists_by_id, 75, 75, LIST_PARAMS, LIST_READ),
    # List writes (prospect lists mirror a private X list): user context only.
    Route("POST", "/2/lists", lists_create, None, 300, scopes=("list.read", *LIST_WRITE)),
    Route("POST", "/2/lists/:id/members", lists_members_add, None, 300, scopes=LIST_WRITE),
    Route(
        "DELETE",
        "/2/lists/:id/members/:user_id",
        lists_members_remove,
        None,
        300,
        scopes=LIST_WRITE,
    ),
    Route(
        "GET",
        "/2/tweets/search/recent",
        search_recent,
        450,
        300,
        TWEET_PARAMS | TIMELINE_PARAMS | {"query", "next_token", "sort_order"},
    ),
    Route(
        "GET",
        "/2/tweets/counts/recent",
        counts_recent,
        300,
        300,
        frozenset(
            {
                "query",
                "start_time",
                "end_time",
                "since_id",
                "until_id",
                "granularity",
                "search_count.fields",
                "next_token",
                "pagination_token",
            }
        ),
        app_only=True,
    ),
    Route("GET", "/2/tweets", tweets_by_ids, 3500, 5000, TWEET_PARAMS | {"ids"}),
    Route(
        "POST",
        "/2/tweets",
        tweets_create,
        None,
        100,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    Route("GET", "/2/tweets/:id", tweets_by_id, 3500, 5000, TWEET_PARAMS),
    Route(
        "DELETE",
        "/2/tweets/:id",
        tweets_delete,
        None,
        50,
        scopes=("tweet.read", "tweet.write", "users.read"),
    ),
    Route(
        "GET",
        "/2/dm_events",
        dm_events,
        None,
        15,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "GET",
        "/2/dm_conversations/with/:participant_id/dm_events",
        dm_with_events,
        None,
        300,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "GET",
        "/2/dm_conversations/:id/dm_events",
        dm_conversation_events,
        None,
        300,
        DM_PARAMS | {"max_results", "pagination_token"},
        DM_READ,
    ),
    Route(
        "POST",
        "/2/dm_conversations/with/:participant_id/messages",
        dm_send_with,
        None,
        200,
        scopes=DM_WRITE,
    ),
    Route(
        "POST",
        "/2/dm_conversations/:dm_conversation_id/messages",
        dm_send_in,
        None,
        200,
        scopes=DM_WRITE,
    ),
    Route("POST", "/2/dm_conversations", dm_create_conversation, None, 200, scopes=DM_WRITE),
)


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists at all
    (to tell X's 404 from its 405)."""
    path_known = False
    for route in ROUTES:
        m = route.regex.match(path)
        if m is None:
            continue
        path_known = True
        if route.method == method:
            return route, m.groupdict(), True
    return None, {}, path_known


def run(route: Route, ctx: Ctx) -> tuple[int, dict[str, object]]:
    """Check the parameters X would check, then answer."""
    unknown = sorted(set(ctx.query) - route.params)
    if unknown:
        allowed = ",".join(sorted(route.params | set(route.regex.groupindex)))
        raise invalid_request(
            unknown[0],
            [ctx.query[unknown[0]]],
            f"The query parameter [{unknown[0]}] is not one of [{allowed}]",
        )
    try:
        return route.handler(ctx)
    except NotFound as exc:
        return 200, {"errors": [exc.error]}
