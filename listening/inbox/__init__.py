"""The inbox: conversations from mentions, replies, quotes and DMs, routed to a
department, assigned, answered exactly once, and timed."""
