"""Run the benchmarks (all, or those named: `python -m bench ingest`) against a throw-away
test database on the configured DATABASE_URL.

METRICS_BENCH_DB=name keeps the metrics benchmark's generated organisation: `metrics` and
`reviews` (which reads the same organisation) then run in that database (created and
filled the first time, migrated and reused after, never dropped) while the other
benchmarks keep their throw-away one. Drop it with `dropdb name` when done."""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
os.environ.setdefault("SOCIALOPS_TESTING", "1")

# Each is a module of this package with a run() that prints its figures beside a ceiling.
BENCHMARKS = (
    "goals_api",
    "ingest",
    "api_economy",
    "redirects",
    "publishing",
    "webhooks",
    "metrics",
    "reviews",
)
# Those that run in the kept database when METRICS_BENCH_DB names one.
KEPT = ("metrics", "reviews")


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmarks: {', '.join(sorted(unknown))}; know {', '.join(BENCHMARKS)}")
        return 2

    kept = os.environ.get("METRICS_BENCH_DB", "").strip()
    throwaway = [name for name in chosen if not (kept and name in KEPT)]
    setup_test_environment()
    try:
        if throwaway:
            old_name = connection.settings_dict["NAME"]
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
            try:
                print(f"database: {connection.vendor}")
                for name in throwaway:
                    importlib.import_module(f"bench.{name}").run()
            finally:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        if len(throwaway) < len(chosen):
            # Migrated (new migrations only) and kept; serialize=False: the test runner's
            # copy of the contents would read millions of rows for nothing.
            connection.settings_dict["TEST"]["NAME"] = kept
            connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
            print(f"database: {connection.vendor}, kept as {kept} (METRICS_BENCH_DB)")
            for name in chosen:
                if name in KEPT:
                    importlib.import_module(f"bench.{name}").run()
    finally:
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
