"""Webhooks: partners' subscriptions to the event log, delivered signed (Standard Webhooks)."""
