"""Background work: the job queue, the worker and periodic jobs (docs/architecture.md,
"Background work").

The API for apps: `job` (declare a job with its retry policy), `enqueue_on_commit`,
`periodic_add` (from an app's `ready()`)."""

from casedesk.jobs.retry import RetryPolicy, enqueue_on_commit, job
from casedesk.jobs.schedule import periodic_add

__all__ = ["RetryPolicy", "enqueue_on_commit", "job", "periodic_add"]
