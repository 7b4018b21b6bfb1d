"""What an operator watches: health probes, structured logs and Prometheus metrics.

- `probes` and `views`: `/healthz` (the process answers), `/readyz` (the database answers, the
  schema is migrated, a worker is alive when one is required) and `/metrics`;
- `middleware`: the request id, one log line and the metrics of every request, and the probes'
  answers before the host check;
- `logs`: the log format (`CASEDESK_LOG_FORMAT`) and the per-job hook;
- `metrics`: every metric family, and where later features add theirs;
- `database`: the query count of a request or a job and the connection pool's figures;
- `heartbeat`: the record a background worker keeps to say it is alive.

docs/operations.md describes them for operators.
"""
