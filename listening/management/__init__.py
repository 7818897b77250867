"""Management commands of the listening app."""
