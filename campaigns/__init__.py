"""Campaigns: the core (campaigns, the UTM registry) in this folder, and one folder per
concept — calendar/, links/, offers/, timelog/ — each with its own models, services,
selectors, views, urls, api, forms, filters, tasks and templates."""
