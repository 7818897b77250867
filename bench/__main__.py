"""Run the benchmarks (all, or those named: `python -m bench ingest`) against a throw-away
test database on the configured DATABASE_URL."""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
os.environ.setdefault("SOCIALOPS_TESTING", "1")

# Each is a module of this package with a run() that prints its figures beside a ceiling.
BENCHMARKS = ("goals_api", "ingest", "api_economy", "redirects", "publishing", "metrics", "reviews")


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

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"database: {connection.vendor}")
        for name in chosen:
            importlib.import_module(f"bench.{name}").run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
