"""The webhooks area: partners' endpoint subscriptions, their deliveries and attempts."""
