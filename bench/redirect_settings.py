"""The production settings with one change for the redirect benchmark: the URLconf that
adds the untracked baseline redirect beside the real ones (settings read no ROOT_URLCONF
from the environment, so gunicorn gets this module as DJANGO_SETTINGS_MODULE)."""

from socialops.settings import *  # noqa: F403

ROOT_URLCONF = "bench.redirect_urls"
