"""Events and webhooks: the outbox of case and activity changes, webhook subscriptions and
their deliveries (docs/webhooks.md)."""
