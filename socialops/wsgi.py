"""The web entry point for gunicorn (Dockerfile, docker-compose.yml) and runserver
(WSGI_APPLICATION): short-link redirects take a lean handler (socialops/handlers.py)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
django.setup(set_prefix=False)

from socialops.handlers import WebApplication  # noqa: E402

application = WebApplication()

# Only web processes load this module. Each keeps a click spool (campaigns/links/spool.py):
# starting it now, not at the first click, lets a restarted process ship the clicks that a
# killed one left on disk even if no visitor comes by.
from campaigns.links.services import clicks_spool_start  # noqa: E402

clicks_spool_start()
