"""The editorial calendar: scheduled posts and threads, approvals, recurring slots, calendar
feeds, and publishing them to X exactly once."""
