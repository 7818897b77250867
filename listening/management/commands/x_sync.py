"""Run sources once, now, in the foreground: the ones that are due, or the ones named."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from listening import client as x
from listening import selectors
from listening.ingest import source_run
from listening.models import Source


class Command(BaseCommand):
    help = (
        "Read X now for the sources that are due (or for the SOURCE_IDs given, due or not), "
        "one after the other in the foreground, printing what each run read."
    )

    def add_arguments(self, parser):
        parser.add_argument("source_ids", nargs="*", type=int, metavar="SOURCE_ID")

    def handle(self, *args, source_ids: list[int], **options):
        now = timezone.now()
        if source_ids:
            found = Source.objects.select_related("account").in_bulk(source_ids)
            missing = [str(pk) for pk in source_ids if pk not in found]
            if missing:
                raise CommandError(f"No source with id {', '.join(missing)}.")
            sources = [found[pk] for pk in dict.fromkeys(source_ids)]
        else:
            sources = []
            for source in selectors.source_list_due(now=now):
                # Move it past this run with a conditional UPDATE, as the scheduler does,
                # so a beat running beside us does not queue it as well.
                moved = Source.objects.filter(pk=source.pk, next_run_at=source.next_run_at).update(
                    next_run_at=now + source.interval
                )
                if moved:
                    sources.append(source)
            if not sources:
                self.stdout.write("No source is due.")
                return

        failed = 0
        for source in sources:
            label = f"#{source.pk} {source.name} ({source.kind})"
            try:
                result = source_run(
                    source_id=source.pk,
                    on_page=lambda r, label=label: self.stderr.write(
                        f"\r{label}: page {r.pages}, {r.posts_read} read, {r.posts_new} new",
                        ending="",
                    ),
                )
                self.stderr.write("")
            except x.XError as exc:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{label}: error — {exc}"))
                continue
            if result is None:
                self.stdout.write(f"{label}: busy — another run holds it; skipped")
                continue
            line = (
                f"{label}: {result.pages} page{'s' if result.pages != 1 else ''}, "
                f"{result.posts_read} posts read, {result.posts_new} new — {result.status}"
            )
            if result.error:
                line += f": {result.error}"
            style = self.style.SUCCESS if result.status == "ok" else self.style.WARNING
            self.stdout.write(style(line))
        if failed:
            raise CommandError(f"{failed} of {len(sources)} sources failed.")
