"""API for links (registers on socialops.api.router)."""
