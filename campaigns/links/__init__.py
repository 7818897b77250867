"""Tracked links: `/l/<code>`, clicks, the click spool and buffer, visitor keys, reports."""
