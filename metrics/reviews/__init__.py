"""The weekly steering-committee review: per department its representatives and their
attendance, every active KPI, highlights, commentary, action items and decisions; closing
freezes it (JSON, HTML, PDF, SHA-256)."""
