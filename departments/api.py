"""REST API for the organisation, departments, memberships, goals, KPIs and measurements."""
