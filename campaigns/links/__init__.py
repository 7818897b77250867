"""Tracked links and their clicks: the `/l/<code>` redirect, the click spool and buffer,
visitor keys, and click reports."""
