"""Every main page passes axe-core's checks with no serious or critical violation, in English
and Italian (docs/web.md#accessibility). axe-core comes from the npm registry through
`make test-assets` and is injected into each page by the test: the product never ships it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

AXE = (
    Path(__file__).resolve().parents[3] / ".venv" / "test-assets" / "axe-core-4.14.1" / "axe.min.js"
)
BLOCKING = {"serious", "critical"}


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test-assets` (make test does)")
    return AXE.read_text()


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _shot_name(path: str) -> str:
    """The page's path as a file name, an id as `one` (`cases-one-history`), a list's view
    kept (`cases-my`), `dashboard` for /."""
    bare, _mark, query = path.partition("?")
    name = _ID.sub("one", bare).replace("{case}", "one").replace("{account}", "one")
    if query.startswith("view="):
        name += "-" + query.removeprefix("view=")
    parts = [p for p in name.split("/") if p]
    return "-".join(parts) or "dashboard"


def _violations(s: Session, path: str, who: str) -> list[str]:
    s.go(path)
    s.shot(f"{s.page.viewport_size['width']}-{who}-{_shot_name(path)}")
    # Evaluated through the browser's debugging protocol, not as a <script>: the page's
    # Content-Security-Policy (no inline script) stays as users get it.
    s.page.evaluate(_axe_source() + "\n;true")
    result = s.page.evaluate(
        "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    return [
        f"{path}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for v in json.loads(result)
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def world(agent: Any, manager: Any) -> dict[str, Any]:
    from casedesk.cases.services import activities, records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers
    from casedesk.routing.services import items, queues

    account = customers.account_create(actor=agent, name="Ottica Bellini", phone="+39 02 1234")
    queue = queues.queue_create(actor=manager, name="Supporto Tier 1")
    case = records.case_create(
        actor=agent, title="Vetrina senza corrente", customer=Ref("account", account.pk)
    )
    items.queue_item_add(actor=agent, case_id=case.pk, queue_id=queue.pk)
    activities.note_create(actor=agent, case_id=case.pk, text="Chiamato il cliente.")
    from casedesk.cases.services.saved_views import saved_view_create

    saved = saved_view_create(
        actor=agent, name="Urgenti", query={"view": "active", "priority": "high", "sort": "-title"}
    )
    return {"case": case, "account": account, "queue": queue, "saved": saved}


AGENT_PAGES = [
    "/",
    "/cases/?view=my",
    "/cases/?view=active",
    "/cases/?view=active&priority=high&sort=-title&saved={saved}",
    "/cases/new/",
    "/cases/{case}/",
    "/cases/{case}/history/",
    "/cases/{case}/similar/",
    "/cases/{case}/resolve/",  # a command dialog as a page of its own (no JavaScript)
    "/cases/{case}/cancel/",
    "/queues/",
    "/customers/",
    "/customers/account/{account}/",
    "/entitlements/",
    "/contracts/",
    "/search/?q=vetrina",
    "/cases/find/?q=vetrina",
    "/profile/",
]
MANAGER_PAGES = [
    "/admin/",
    "/admin/queues/",
    "/admin/rule-sets/",
    "/admin/rule-sets/new/",
    "/admin/slas/new/",
    "/admin/transitions/",
    "/admin/service/",
    "/entitlements/new/",
]


@pytest.mark.parametrize("language", ["en", "it"])
def test_no_serious_or_critical_violation_on_the_main_pages(
    open_session: Callable[..., Session],
    agent: Any,
    manager: Any,
    world: dict[str, Any],
    language: str,
) -> None:
    ids = {"case": world["case"].pk, "account": world["account"].pk, "saved": world["saved"].pk}
    found: list[str] = []
    s = open_session(agent, language, width=1366)
    for path in AGENT_PAGES:
        found += _violations(s, path.format(**ids), "agent")
    m = open_session(manager, language, width=1366)
    for path in MANAGER_PAGES:
        found += _violations(m, path, "manager")
    anonymous = open_session(None, language, width=1366)
    found += _violations(anonymous, "/login/", "visitor")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_main_pages_fit_a_phone(
    open_session: Callable[..., Session], agent: Any, world: dict[str, Any], language: str
) -> None:
    ids = {"case": world["case"].pk, "account": world["account"].pk, "saved": world["saved"].pk}
    s = open_session(agent, language, width=390, height=844)
    for path in AGENT_PAGES:
        shown = path.format(**ids)
        s.go(shown)
        s.shot(f"390-agent-{_shot_name(shown)}")
        s.no_horizontal_scroll()
