"""Template tags that pages of other apps load to embed pieces of department pages."""
