"""Campaigns: the core (campaigns, UTM registry) here; calendar/, links/, offers/, timelog/."""
