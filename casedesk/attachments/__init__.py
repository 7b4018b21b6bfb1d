"""Files attached to cases, their e-mails and notes (docs/email.md#attachments)."""
