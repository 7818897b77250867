"""Management commands that set up the whole product (demo data, demo logins)."""
