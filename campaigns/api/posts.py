"""API for posts (registers on socialops.api.router)."""
