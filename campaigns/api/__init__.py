"""The campaigns REST API: one module per concept, each registering its viewsets on the
shared router when imported."""

from campaigns.api import campaigns, links, offers, posts, timelog  # noqa: F401
