"""API for offers (registers on socialops.api.router)."""
