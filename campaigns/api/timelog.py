"""API for timelog (registers on socialops.api.router)."""
