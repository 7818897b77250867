"""API economy: an hour of simulated time in which 10,000 mentions arrive, read by the
real ingestion path every simulated minute, with a 429 storm and a 5xx burst in it.

Reports the requests made, posts read per post stored (ceiling: exactly 1.00 — every
post read once) and mentions missed (ceiling: 0). The scheduler is played here in
simulated time: a source that was rate-limited waits for its reset, one that failed
transiently is tried again at the next tick, as the Celery task's retry would."""

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


def _requests(sim) -> int:
    """Requests the simulator answered (any endpoint, any status)."""
    return sim.state()["requests_total"]
