"""Run the benchmarks (all, or those named: `python -m bench ingest`) against a throw-away
test database on the configured DATABASE_URL."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
os.environ.setdefault("SOCIALOPS_TESTING", "1")


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench import api_economy, goals_api, ingest

    benchmarks = {"goals_api": goals_api, "ingest": ingest, "api_economy": api_economy}
    chosen = sys.argv[1:] or list(benchmarks)
    unknown = set(chosen) - set(benchmarks)
    if unknown:
        print(f"unknown benchmarks: {', '.join(sorted(unknown))}; know {', '.join(benchmarks)}")
        return 2

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"database: {connection.vendor}")
        for name in chosen:
            benchmarks[name].run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
