"""Read a source's history back to a date, without touching its live cursor."""

from __future__ import annotations

import time
import zoneinfo
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from departments.selectors import organisation_get
from listening import client as x
from listening.ingest import pages_bill, store_posts
from listening.models import Source, SourceRun
from socialops.marks import Family, mark

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Read SOURCE's posts back to --since DATE and add them to its stream. The live "
        "cursor is left as it is, and old mentions do not enter the inbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("source_id", type=int, metavar="SOURCE")
        parser.add_argument(
            "--since",
            required=True,
            metavar="DATE",
            help="YYYY-MM-DD (midnight in the organisation's time zone) or an ISO datetime.",
        )
        parser.add_argument(
            "--max-pages", type=int, default=500, help="Stop after this many pages (500)."
        )

    def handle(self, *args, source_id: int, since: str, max_pages: int, **options):
        """1. Ask X for the source's pages from the newest, ignoring its since_id.
        2. Store each page in one transaction (posts, authors, the source's stream) and
           count it, with its cost, in a run of the source.
        3. Follow next_token until a page reaches back past DATE, X has no more pages,
           or --max-pages is reached. since_id and page_token are never written, so the
           scheduled runs carry on from where they were."""
        source = Source.objects.select_related("account").filter(pk=source_id).first()
        if source is None:
            raise CommandError(f"No source with id {source_id}.")
        if source.kind == Source.Kind.FOLLOWERS:
            raise CommandError("A follower-count source has no history on X to read.")
        start = self._parse_since(since)
        now = timezone.now()
        if start >= now:
            raise CommandError(f"--since {since} is not in the past.")
        if source.kind == Source.Kind.SEARCH and start < now - timedelta(days=7):
            self.stderr.write("Note: X's recent search reaches back 7 days only.")
        if source.kind == Source.Kind.MENTIONS:
            self.stderr.write("Note: X serves an account's latest 800 mentions only.")

        client = x.client_for(source.account)
        run = SourceRun.objects.create(source=source, started_at=now)
        pages = posts = new = 0
        token: str | None = None
        status = SourceRun.Status.OK
        error = ""
        try:
            while pages < max_pages:
                page = self._fetch(client, source, token)
                with transaction.atomic():
                    stored_at = timezone.now()
                    stored = store_posts(
                        tweets=page.tweets, users=page.users, now=stored_at, source=source
                    )
                    bill = pages_bill(source=source, pages=[page], now=stored_at)
                    SourceRun.objects.filter(pk=run.pk).update(
                        pages=F("pages") + 1,
                        posts_read=F("posts_read") + len(page.tweets),
                        users_read=F("users_read") + len(page.users),
                        posts_new=F("posts_new") + len(stored),
                        posts_billed=F("posts_billed") + bill.posts,
                        users_billed=F("users_billed") + bill.users,
                        cost=F("cost") + bill.cost,
                    )
                    if bill.cost:
                        mark(Family.X_SPEND, [run.started_at])
                pages += 1
                posts += len(page.tweets)
                new += len(stored)
                oldest = min((t.created_at for t in page.tweets if t.created_at), default=None)
                self._progress(start, now, oldest, pages, posts, new)
                token = page.next_token
                if not token or (oldest is not None and oldest < start):
                    break
        except x.AuthRevoked as exc:
            status, error = SourceRun.Status.AUTH, str(exc)
            raise CommandError(
                f"X refused {source.account}'s token: reconnect it. ({exc})"
            ) from exc
        except x.XError as exc:
            status, error = SourceRun.Status.ERROR, str(exc)
            raise CommandError(
                f"X failed after {pages} pages: {exc}. Run it again to retry."
            ) from exc
        finally:
            self.stderr.write("")
            SourceRun.objects.filter(pk=run.pk).update(
                status=status, finished_at=timezone.now(), error=error[:2000]
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"#{source.pk} {source.name}: {pages} page{'s' if pages != 1 else ''}, "
                f"{posts} posts read, {new} new."
            )
        )

    def _parse_since(self, value: str) -> datetime:
        zone = zoneinfo.ZoneInfo(organisation_get().time_zone)
        day = parse_date(value) if len(value) == 10 else None
        if day is not None:
            return datetime.combine(day, datetime.min.time(), tzinfo=zone)
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD) or ISO datetime.")
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone)

    def _fetch(self, client: x.XClient, source: Source, token: str | None) -> x.Page:
        account = source.account
        while True:
            try:
                if source.kind == Source.Kind.MENTIONS:
                    return client.mentions_page(
                        account.x_user_id, since_id=None, pagination_token=token
                    )
                if source.kind == Source.Kind.SEARCH:
                    return client.search_page(source.query, since_id=None, pagination_token=token)
                if source.kind == Source.Kind.LIST:
                    return client.list_tweets_page(source.x_list_id, pagination_token=token)
                return client.own_posts_page(
                    account.x_user_id, since_id=None, pagination_token=token
                )
            except x.RateLimited as exc:
                # In the foreground waiting is fine (a worker would reschedule instead).
                wait = max(1.0, (exc.reset_at - timezone.now()).total_seconds())
                self.stderr.write(f"\nRate-limited by X; waiting until {exc.reset_at:%H:%M:%S}.")
                time.sleep(wait)

    def _progress(
        self, start: datetime, now: datetime, oldest: datetime | None, pages, posts, new
    ) -> None:
        counts = f"{pages} pages, {posts} posts ({new} new)"
        if oldest is None:
            line = f"[{'?' * BAR_WIDTH}] {counts}"
        else:
            done = min(1.0, max(0.0, (now - oldest) / (now - start)))
            filled = round(done * BAR_WIDTH)
            local = timezone.localtime(oldest, start.tzinfo)
            line = (
                f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:4.0%}  "
                f"back to {local:%Y-%m-%d %H:%M}  {counts}"
            )
        ending = "\r" if self.stderr.isatty() else "\n"
        self.stderr.write(line, ending=ending)
