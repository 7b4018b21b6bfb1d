"""Configuration read from the environment (docs/operations.md#configuration), shared by settings
and the CLI."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_positive(name: str, default: float) -> float:
    """A positive number of seconds or days from the environment, else `default`."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < float("inf"):
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return number


def data_dir() -> Path:
    return Path(os.environ.get("CASEDESK_DATA_DIR") or "var").expanduser().resolve()


def secret_key_path() -> Path:
    return data_dir() / "secret_key"


def ensure_secret_key() -> str:
    """Return the signing key, creating it once in the data dir when the environment has none.

    The file is written to a temporary name and then hard-linked into place, so concurrent
    callers (several processes starting at once) all end up reading the same complete key.
    """
    configured = os.environ.get("CASEDESK_SECRET_KEY")
    if configured:
        return configured
    path = secret_key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"the secret key file {path} is empty")
    return key


def allowed_hosts() -> list[str]:
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    for extra in os.environ.get("CASEDESK_ALLOWED_HOSTS", "").split(","):
        extra = extra.strip()
        if extra and extra not in hosts:
            hosts.append(extra)
    return hosts


def rate_limit() -> float:
    raw = os.environ.get("CASEDESK_RATE_LIMIT", "0").strip() or "0"
    try:
        value = float(raw)
    except ValueError as exc:
        raise RuntimeError(f"CASEDESK_RATE_LIMIT must be a number, not {raw!r}") from exc
    if value < 0:
        raise RuntimeError("CASEDESK_RATE_LIMIT must not be negative")
    return value


LOG_FORMATS = ("text", "json")


def log_format() -> str:
    """`CASEDESK_LOG_FORMAT`: `text` (the default, for a terminal) or `json` (one object a
    line, for a log collector)."""
    raw = os.environ.get("CASEDESK_LOG_FORMAT", "").strip().lower() or "text"
    if raw not in LOG_FORMATS:
        raise RuntimeError(f"CASEDESK_LOG_FORMAT must be 'text' or 'json', not {raw!r}")
    return raw


def metrics_dir() -> Path:
    """Where the workers of `casedesk serve` keep their metrics for `/metrics` to add up."""
    return data_dir() / "metrics"


def _networks(variable: str, raw: str) -> list[str]:
    """The addresses or CIDR networks of a comma-separated setting, each as a network; one that
    is neither stops start-up with a one-line message naming the variable."""
    import ipaddress

    networks = []
    for part in raw.split(","):
        value = part.strip()
        if not value:
            continue
        try:
            networks.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError as exc:
            raise RuntimeError(
                f"{variable} must list addresses or networks, not {value!r}"
            ) from exc
    return networks


def metrics_allow() -> list[str]:
    """`CASEDESK_METRICS_ALLOW`: the networks (CIDRs, comma-separated) whose direct requests
    may read /metrics without the token; `none` for none. Default: loopback only."""
    raw = os.environ.get("CASEDESK_METRICS_ALLOW", "").strip()
    if not raw:
        return ["127.0.0.0/8", "::1/128"]
    if raw.lower() == "none":
        return []
    return _networks("CASEDESK_METRICS_ALLOW", raw)


def trusted_proxies() -> list[str]:
    """The networks of the proxies in front of casedesk (`CASEDESK_TRUSTED_PROXIES`: addresses
    or CIDR networks, comma-separated), whose `X-Forwarded-For` names the client."""
    return _networks("CASEDESK_TRUSTED_PROXIES", os.environ.get("CASEDESK_TRUSTED_PROXIES", ""))


def max_upload_mb() -> int:
    """`CASEDESK_MAX_UPLOAD_MB`: the largest attachment in megabytes (default 25)."""
    raw = os.environ.get("CASEDESK_MAX_UPLOAD_MB", "").strip() or "25"
    try:
        value = int(raw)
    except ValueError as exc:
        raise RuntimeError(f"CASEDESK_MAX_UPLOAD_MB must be a whole number, not {raw!r}") from exc
    if value < 1:
        raise RuntimeError("CASEDESK_MAX_UPLOAD_MB must be at least 1")
    return value


def time_zone() -> str:
    """`CASEDESK_TIME_ZONE`: the IANA zone the web pages and e-mails show times in (default
    `UTC`). The API always answers UTC."""
    raw = os.environ.get("CASEDESK_TIME_ZONE", "").strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"CASEDESK_TIME_ZONE must be an IANA time zone, not {raw!r}") from exc
    return raw


@dataclass(frozen=True)
class Smtp:
    """Where outgoing mail goes (`CASEDESK_SMTP_URL`, docs/email.md#sending)."""

    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    tls: bool = False  # `smtps://`: TLS from the first byte
    starttls: bool = False  # `?starttls=1`: upgrade a plain connection

    def __str__(self) -> str:  # never the password
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def smtp_parse(raw: str) -> Smtp | None:
    """The SMTP server of `raw`: `smtp://USER:PASSWORD@HOST:PORT` (`smtps://` for TLS,
    `?starttls=1`); None for empty text. Raise `RuntimeError`, naming the variable, for
    anything else."""
    from urllib.parse import parse_qs, unquote, urlsplit

    raw = raw.strip()
    if not raw:
        return None
    problem = "CASEDESK_SMTP_URL must look like smtp://USER:PASSWORD@HOST:PORT"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise RuntimeError(f"{problem}: {exc}") from exc
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise RuntimeError(problem)
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].strip().lower() in {"1", "true", "yes", "on"}
    tls = parts.scheme == "smtps"
    if tls and starttls:
        raise RuntimeError("CASEDESK_SMTP_URL: smtps:// already uses TLS; drop ?starttls=1")
    return Smtp(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        tls=tls,
        starttls=starttls,
    )


def smtp_url() -> str:
    """`CASEDESK_SMTP_URL`, checked at start-up (empty: outgoing mail stays queued)."""
    raw = os.environ.get("CASEDESK_SMTP_URL", "").strip()
    smtp_parse(raw)
    return raw
