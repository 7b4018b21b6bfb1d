"""The web workspace's pages in the benchmark: which pages, and a signed-in session for each
client thread.

A page operation is a GET of one page of the web UI (docs/web.md) as the user `bench`, a
manager who owns every case of the data set, with the session cookie of a real sign-in: the
login form is fetched, its CSRF token and cookie are posted back with the user name and
password, and the session cookie that comes back is sent with every request of that client
thread. `run_all.py` measures them like the API operations; `casedesk_side.py page-queries`
counts their SQL queries with the same paths.
"""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

# The user the pages are measured as: bench/generate.py creates it with this password.
PAGE_USER = "bench"
PAGE_PASSWORD = "bench-password-2026"

# Every page operation, in report order.
PAGE_OPS = (
    "case_page_active",
    "case_page_resolved",
    "cases_my",
    "cases_active",
    "cases_resolved",
    "cases_by_priority",
    "cases_high_priority",
    "queues",
    "queue_available",
    "dashboard",
    "search_page",
    "search_page_frequent",
)


def page_paths(facts: dict[str, Any], words: dict[str, list[str]]) -> dict[str, list[str]]:
    """The paths each page operation requests, in turn (a random one for the case pages)."""
    queues = facts.get("queues") or []
    fullest = queues[0]["id"] if queues else ""
    return {
        "case_page_active": [f"/cases/{i}/" for i in facts["active_case_ids"]],
        "case_page_resolved": [f"/cases/{i}/" for i in facts["resolved_case_ids"]],
        "cases_my": ["/cases/?view=my"],
        "cases_active": ["/cases/?view=active"],
        "cases_resolved": ["/cases/?view=resolved"],
        "cases_by_priority": ["/cases/?view=active&sort=priority"],
        "cases_high_priority": ["/cases/?view=active&priority=high"],
        "queues": ["/queues/"],
        "queue_available": [f"/queues/?queue={fullest}&view=available"] if fullest else [],
        "dashboard": ["/"],
        "search_page": [f"/search/?q={quote(w)}" for w in words["medium"]],
        "search_page_frequent": [f"/search/?q={quote(w)}" for w in words["frequent"]],
    }


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in(base: str, username: str = PAGE_USER, password: str = PAGE_PASSWORD) -> str:
    """Sign in through the login form; the `Cookie` header value of the new session."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    try:
        conn.request("GET", "/login/")
        response = conn.getresponse()
        html = response.read().decode()
        cookies = _cookies(response)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if response.status != 200 or not found or "csrftoken" not in cookies:
            raise RuntimeError(f"GET /login/ answered {response.status} without a CSRF token")
        body = urlencode(
            {
                "csrfmiddlewaretoken": found.group(1),
                "username": username,
                "password": password,
                "next": "/",
            }
        )
        conn.request(
            "POST",
            "/login/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
                "Referer": f"{base}/login/",
            },
        )
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"signing in as {username} answered {response.status}")
        return f"csrftoken={cookies['csrftoken']}; sessionid={cookies['sessionid']}"
    finally:
        conn.close()
