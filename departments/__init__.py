"""The organisation, its departments, memberships and roles, goals and KPIs with targets."""
