"""X accounts, users and posts, sources and ingestion, and the one X API client seam."""
