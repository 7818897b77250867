"""`x_sync`, `x_backfill`, `x_import`: pull from X (or its recordings) by hand."""
