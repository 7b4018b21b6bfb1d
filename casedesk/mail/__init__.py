"""The e-mail channel (docs/email.md): mailboxes, receiving messages, IMAP polling."""
