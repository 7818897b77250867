import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
application = get_wsgi_application()

# Only web processes load this module. Each keeps a click spool (campaigns/links/spool.py):
# starting it now, not at the first click, lets a restarted process ship the clicks that a
# killed one left on disk even if no visitor comes by.
from campaigns.links.services import clicks_spool_start  # noqa: E402

clicks_spool_start()
