"""Import posts saved from X's v2 API: twarc2 JSONL, or raw response pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from listening import client as x
from listening.ingest import store_posts
from listening.models import Source


class Command(BaseCommand):
    help = (
        "Import posts and their authors from files of X API v2 answers: twarc2 JSONL (one "
        "response page {data, includes, meta} per line) or JSON files holding one response "
        "page or a list of them. Posts already stored are updated, never duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--source",
            type=int,
            metavar="ID",
            help="Also add the posts to this source's stream.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Posts per transaction (1000)."
        )

    def handle(self, *args, files: list[str], source: int | None, batch_size: int, **options):
        target = None
        if source is not None:
            target = Source.objects.filter(pk=source).first()
            if target is None:
                raise CommandError(f"No source with id {source}.")
        # Read every file through before writing anything: a broken line in the last
        # file must not leave the first ones imported and the command failed.
        page_counts = {name: sum(1 for _ in self._pages(Path(name))) for name in files}
        empty = [name for name, count in page_counts.items() if not count]
        if empty:
            raise CommandError(f"{', '.join(empty)}: no X API answer in it.")
        totals = {"posts": 0, "new": 0, "users": 0}
        for name in files:
            counts = self._import(self._pages(Path(name)), target, max(1, batch_size))
            for key in totals:
                totals[key] += counts[key]
            self.stdout.write(
                f"{name}: {counts['posts']} posts ({counts['new']} new), {counts['users']} users"
            )
        if len(files) > 1:
            self.stdout.write(
                f"Total: {totals['posts']} posts ({totals['new']} new), {totals['users']} users"
            )
        self.stdout.write(self.style.SUCCESS("Done."))

    def _import(self, pages: Iterator[x.Page], source: Source | None, batch_size: int) -> dict:
        counts = {"posts": 0, "new": 0, "users": 0}
        tweets: list[x.TweetRecord] = []
        users: list[x.UserRecord] = []

        def flush() -> None:
            if not tweets and not users:
                return
            with transaction.atomic():
                stored = store_posts(tweets=tweets, users=users, now=timezone.now(), source=source)
            counts["posts"] += len({t.id for t in tweets})
            counts["new"] += len(stored)
            counts["users"] += len({u.id for u in users})
            tweets.clear()
            users.clear()

        for page in pages:
            tweets.extend(page.tweets)
            users.extend(page.users)
            if len(tweets) >= batch_size:
                flush()
        flush()
        return counts

    def _pages(self, path: Path) -> Iterator[x.Page]:
        """The response pages of a file, streamed: JSON Lines are read line by line; a
        file whose first line is not JSON on its own is one (pretty-printed) document."""
        try:
            with path.open(encoding="utf-8") as f:
                first = next((line for line in f if line.strip()), None)
                if first is None:
                    return  # an empty file
                try:
                    json.loads(first)
                except json.JSONDecodeError:
                    f.seek(0)
                    try:
                        document = json.load(f)
                    except json.JSONDecodeError as exc:
                        raise CommandError(
                            f"{path}: not JSON or JSON Lines (line {exc.lineno}: {exc.msg})."
                        ) from exc
                    yield from self._items(document, f"{path}")
                    return
                f.seek(0)
                for number, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        item = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise CommandError(f"{path}, line {number}: not JSON ({exc.msg}).") from exc
                    yield from self._items(item, f"{path}, line {number}")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"{path}: cannot read it ({exc.__class__.__name__}: {exc})."
            ) from exc

    def _items(self, item, where: str) -> Iterator[x.Page]:
        if isinstance(item, list):
            for number, each in enumerate(item, 1):
                yield self._page(each, f"{where}, item {number}")
        else:
            yield self._page(item, where)

    def _page(self, item, where: str) -> x.Page:
        """A v2 response page; also a single post object (twarc2's flattened lines, with
        the author under "author")."""
        if not isinstance(item, dict):
            raise CommandError(f"{where}: expected a JSON object, found {type(item).__name__}.")
        try:
            if "data" in item or "meta" in item:
                data = item.get("data")
                # A lookup of one post answers {"data": {...}}.
                body = {**item, "data": [data] if isinstance(data, dict) else data or []}
                return x.parse_page(body)
            if "id" in item and "text" in item:
                author = item.get("author")
                return x.parse_page(
                    {"data": [item], "includes": {"users": [author] if author else []}}
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"{where}: not an X API v2 answer ({exc!r}).") from exc
        raise CommandError(f"{where}: not an X API v2 answer (no data, meta, or post id).")
