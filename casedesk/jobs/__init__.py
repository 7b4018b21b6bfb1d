"""Background work: the job queue, the worker and periodic jobs (docs/architecture.md,
"Background work")."""
