"""Notifications: in the app and by e-mail, per user and kind; follows and mentions
(docs/notifications.md)."""
