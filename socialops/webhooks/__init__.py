"""Signed webhooks from an event outbox: apps emit events in the transaction of the change
(services.event_emit); the ground floor delivers them to the endpoints admins register."""
