"""API economy: what reading X costs, per source kind, through the real ingestion path
every simulated minute for an hour.

1. Mentions: 10,000 arrive, with a 429 storm and a 5xx burst in the hour. Reports the
   requests made, posts read per post stored (ceiling: exactly 1.00 — every post read
   once) and mentions missed (ceiling: 0). The scheduler is played here in simulated
   time: a source that was rate-limited waits for its reset, one that failed
   transiently is tried again at the next tick, as the Celery task's retry would.
2. Searches and lists, side by side in another world: a brand search, the sales rep's
   quiet private list (the demo's case), the public press list, and a busy list (its
   members post about 40 times a minute). For each: posts read per post stored (goal
   ≤ 1.10), posts X bills per post stored (a post read again the same UTC day is not
   billed again) and posts missed (ceiling: 0), and the hour's bill beside the
   simulator's own count of what X would charge.
"""

from __future__ import annotations

# Mentions of all our accounts per simulated hour; @brightline gets about 70% of them.
MENTIONS_PER_HOUR = 14_000
TICK = 60  # simulated seconds between runs (the source's interval)
STORM_AT, STORM_REQUESTS, STORM_RESET = 20, 4, 120  # minute, 429s in a row, reset (s)
BURST_AT, BURST_REQUESTS = 40, 3  # minute, 5xx answers in a row


def run() -> None:
    from django.test import override_settings

    from listening import client as x
    from listening.ingest import source_run
    from listening.models import Source, SourceRun, Tweet, XAccount
    from tests.xsim_server import run_xsim

    with run_xsim(seed=11, speed=0, mention_rate=MENTIONS_PER_HOUR) as sim:
        token = sim.user_token("brightline")
        user_id = int(sim.user_id("brightline"))
        XAccount.objects.filter(username="brightline").delete()  # from an earlier benchmark
        account = XAccount.objects.create(
            username="brightline", x_user_id=user_id, access_token=token
        )
        source = Source.objects.create(name="Mentions", kind="mentions", account=account)
        with override_settings(X_API_BASE_URL=sim.url):
            source_run(source_id=source.pk)  # the backlog X still has (800 at most)
            stored_at_start = Tweet.objects.count()
            sim_at_start = sim.state()["counts"]["mentions_of_brightline"]
            requests_at_start = _requests(sim)
            read_at_start = sum(SourceRun.objects.values_list("posts_read", flat=True))
            blocked_until = 0
            outcomes = {"ok": 0, "rate_limited": 0, "transient": 0}
            errors: set[str] = set()
            for minute in range(1, 61):
                sim.advance(TICK)
                if minute == STORM_AT:
                    sim.fail(429, path="/2/users/", count=STORM_REQUESTS, reset_in=STORM_RESET)
                if minute == BURST_AT:
                    sim.fail(503, path="/2/users/", count=BURST_REQUESTS)
                if minute * TICK < blocked_until:
                    continue
                try:
                    result = source_run(source_id=source.pk)
                except x.Transient as exc:
                    outcomes["transient"] += 1
                    errors.add(str(exc)[:160])
                    continue
                if result.status == SourceRun.Status.RATE_LIMITED:
                    outcomes["rate_limited"] += 1
                    blocked_until = minute * TICK + STORM_RESET
                else:
                    outcomes["ok"] += 1
            arrived = sim.state()["counts"]["mentions_of_brightline"] - sim_at_start
            stored = Tweet.objects.count() - stored_at_start
            read = sum(SourceRun.objects.values_list("posts_read", flat=True)) - read_at_start
            requests = _requests(sim) - requests_at_start
    print(
        f"API economy, {arrived:,} mentions over 60 simulated minutes "
        f"(429 storm at {STORM_AT}′, 5xx burst at {BURST_AT}′): {requests} requests, "
        f"runs ok/rate-limited/failed {outcomes['ok']}/{outcomes['rate_limited']}/"
        f"{outcomes['transient']} | posts read per post stored {read / max(stored, 1):.2f} "
        f"(ceiling 1.00) | mentions missed {arrived - stored} (ceiling 0)"
    )
    for error in sorted(errors):
        print(f"  transient: {error}")
    run_lists_and_searches()


BUSY_PER_MINUTE = 40  # posts the busy list's members add every simulated minute


def run_lists_and_searches() -> None:
    from django.db.models import Sum
    from django.test import override_settings

    from listening.ingest import source_run
    from listening.models import AccountSpend, Source, SourceRun, SourceTweet, XAccount
    from tests.xsim_server import run_xsim

    with run_xsim(seed=12, speed=0, mention_rate=600) as sim:
        token = sim.user_token("brightline")
        XAccount.objects.filter(username="brightline").delete()  # from an earlier benchmark
        account = XAccount.objects.create(
            username="brightline", x_user_id=int(sim.user_id("brightline")), access_token=token
        )
        world = sim.world()
        lists = {item["name"]: int(item["id"]) for item in world["lists"]}
        customers = [p["username"] for p in world["people"]["customer"]]
        specs = [
            ("search", "Brand search", {"query": "brightline -is:retweet"}),
            ("list", "Key prospects (quiet, private)", {"x_list_id": lists["Key prospects"]}),
            ("list", "Industry press", {"x_list_id": lists["Industry press"]}),
            ("list", "Customers (busy)", {"x_list_id": lists["Customers & partners"]}),
        ]
        sources = [
            Source.objects.create(name=name, kind=kind, account=account, **fields)
            for kind, name, fields in specs
        ]
        with override_settings(X_API_BASE_URL=sim.url):
            for source in sources:
                source_run(source_id=source.pk)  # the history X still has
            start = {s.pk: _totals(s) for s in sources}
            xsim_start = sim.state()["reads"]["estimated_cost_usd"]
            ours_start = AccountSpend.objects.filter(account=account).aggregate(c=Sum("cost"))["c"]
            listed_start = {s.pk: set(_timeline(sim, token, s)) for s in sources if s.x_list_id}
            for minute in range(60):
                sim.advance(TICK)
                sim.inject_many(
                    [
                        {"text": f"Month-end close, day {minute}: {i}", "author": customers[i]}
                        for i in range(BUSY_PER_MINUTE)
                    ]
                )
                for source in sources:
                    source_run(source_id=source.pk)
            xsim_cost = sim.state()["reads"]["estimated_cost_usd"] - xsim_start
            ours = AccountSpend.objects.filter(account=account).aggregate(c=Sum("cost"))["c"]
            print("API economy, searches and lists, one run a simulated minute for an hour:")
            for source in sources:
                runs = SourceRun.objects.filter(source=source).count() - 1
                read, billed, stored = (
                    b - a for a, b in zip(start[source.pk], _totals(source), strict=True)
                )
                missed = "-"
                if source.x_list_id:
                    gained = set(_timeline(sim, token, source)) - listed_start[source.pk]
                    streamed = set(
                        SourceTweet.objects.filter(source=source).values_list("tweet_id", flat=True)
                    )
                    missed = len(gained - streamed)
                print(
                    f"  {source.kind:6} {source.name:31} {runs} runs: {stored:5} posts stored, "
                    f"{read:5} read ({read / max(stored, 1):.2f} per post stored, goal 1.10), "
                    f"{billed:5} billed ({billed / max(stored, 1):.2f}), missed {missed}"
                )
            print(
                f"  bill for the hour: US${ours - ours_start:.3f} counted by SocialOps, "
                f"US${xsim_cost:.3f} by the simulator's count of what X charges"
            )


def _totals(source) -> tuple[int, int, int]:
    """Posts read and billed by the source's runs, and posts in its stream."""
    from django.db.models import Sum

    runs = source.runs.aggregate(read=Sum("posts_read"), billed=Sum("posts_billed"))
    return (runs["read"] or 0, runs["billed"] or 0, source.source_tweets.count())


def _timeline(sim, token: str, source) -> list[int]:
    """The list's posts as X has them now (its newest 800)."""
    ids: list[int] = []
    params: dict = {"max_results": 100}
    while True:
        page = sim.get(f"/2/lists/{source.x_list_id}/tweets", token=token, **params).json
        ids += [int(t["id"]) for t in page.get("data", [])]
        if "next_token" not in page["meta"]:
            return ids
        params["pagination_token"] = page["meta"]["next_token"]


def _requests(sim) -> int:
    """Requests the simulator answered (any endpoint, any status)."""
    return sim.state()["requests_total"]
