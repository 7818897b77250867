"""The editorial calendar: scheduled posts, approvals, slots, feeds, publishing to X once."""
