"""`demo_setup`, `demo_x`, `demo_logins`: the demo organisation, its X data, its logins."""
