"""API for campaigns (registers on socialops.api.router)."""
