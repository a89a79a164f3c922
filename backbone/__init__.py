"""Shared machinery of every area: unit of work, message bus, outbox, relay, locks, jobs."""
