"""The editors of ordered items with conditions (routing rule sets, SLAs): "Add condition",
"Remove condition", "Add rule" and "Remove rule" are submit buttons named `editor` that post
what was typed and get the form back with a row or an item more or less, nothing saved; with
htmx the form alone comes back in place (docs/web.md#partial-updates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from casedesk.web.forms.conditions import (
    CONDITIONS_AT_MOST,
    ITEMS_AT_MOST,
    ROWS_AT_MOST,
    posted_rows,
)
from casedesk.web.fragments import FRAGMENT_HEADER, is_htmx

EDITOR = "editor"
PREFIX = "items"
CONDITION_PARTS = ("field", "op", "value")


@dataclass
class Edit:
    """The posted form changed by an editor's button, and why it was not, if it was not."""

    data: QueryDict
    error: str = ""


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _move_keys(data: QueryDict, source: str, target: str) -> None:
    """Every posted value named `source…` now named `target…` (and none left named
    `target…` before)."""
    for key in [k for k in data if k.startswith(target)]:
        del data[key]
    for key in [k for k in data if k.startswith(source)]:
        data.setlist(target + key[len(source) :], data.getlist(key))
        del data[key]


def _rows(data: QueryDict, index: int) -> int:
    """The condition rows the item `index` has (as ConditionRows counts them)."""
    raw = data.get(f"{PREFIX}-{index}-rows")
    if raw not in (None, ""):
        return max(0, min(_int(raw), ROWS_AT_MOST))
    return posted_rows(data, f"{PREFIX}-{index}-")


def editor_edit(post: QueryDict, *, item_word: str) -> Edit | None:
    """The posted form with the editor's button applied, or None when the form was posted to
    be saved. `item_word` is "rule" or "item", for the refusals."""
    action = post.get(EDITOR)
    if not action:
        return None
    data = post.copy()
    del data[EDITOR]
    kind, _sep, rest = action.partition(":")
    args = [_int(part, -1) for part in rest.split(":")] if rest else []
    total = max(0, _int(data.get(f"{PREFIX}-TOTAL_FORMS")))
    edit = Edit(data)
    if kind == "add_item":
        if total >= ITEMS_AT_MOST:
            edit.error = (
                _("A routing rule set has at most %(n)d rules here.")
                if item_word == "rule"
                else _("An SLA has at most %(n)d items here.")
            ) % {"n": ITEMS_AT_MOST}
        else:
            data[f"{PREFIX}-TOTAL_FORMS"] = str(total + 1)
    elif kind == "remove_item" and args and 0 <= args[0] < total:
        for j in range(args[0], total - 1):
            _move_keys(data, f"{PREFIX}-{j + 1}-", f"{PREFIX}-{j}-")
        for key in [k for k in data if k.startswith(f"{PREFIX}-{total - 1}-")]:
            del data[key]
        data[f"{PREFIX}-TOTAL_FORMS"] = str(total - 1)
        initial = _int(data.get(f"{PREFIX}-INITIAL_FORMS"))
        data[f"{PREFIX}-INITIAL_FORMS"] = str(min(initial, total - 1))
    elif kind == "add_condition" and args and 0 <= args[0] < total:
        rows = _rows(data, args[0])
        if rows >= CONDITIONS_AT_MOST:
            edit.error = (
                _("A rule has at most %(n)d conditions here.")
                if item_word == "rule"
                else _("An item has at most %(n)d conditions here.")
            ) % {"n": CONDITIONS_AT_MOST}
        else:
            data[f"{PREFIX}-{args[0]}-rows"] = str(rows + 1)
    elif kind == "remove_condition" and len(args) == 2 and 0 <= args[0] < total:
        index, row = args
        rows = _rows(data, index)
        if 0 <= row < rows:
            item = f"{PREFIX}-{index}-"
            for r in range(row, rows - 1):
                for part in CONDITION_PARTS:
                    _move_keys(data, f"{item}c{r + 1}_{part}", f"{item}c{r}_{part}")
            for part in CONDITION_PARTS:
                data.pop(f"{item}c{rows - 1}_{part}", None)
            data[f"{item}rows"] = str(rows - 1)
    return edit


def unbound_values(form: Any) -> dict[str, Any]:
    """What a bound form holds, as the initial values of an unbound one: the editor shows it
    again without its errors (nothing was saved)."""
    values = {name: form[name].value() for name in form.fields}
    if hasattr(form, "row_count"):
        values["rows"] = form.row_count
    return values


def editor_again(
    request: HttpRequest,
    edit: Edit,
    *,
    form_class: Any,
    formset_class: Any,
    form_kwargs: dict[str, Any],
    template: str,
    fragment: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The editor again after one of its buttons: what was typed, with a row or an item more
    or less, and the refusal when a limit stopped the button (422). With htmx, the form alone
    (`fragment`), swapped in place."""
    form = form_class(edit.data)
    formset = formset_class(edit.data, prefix=PREFIX, form_kwargs=form_kwargs)
    again = formset_class(
        initial=[unbound_values(f) for f in formset.forms],
        prefix=PREFIX,
        form_kwargs=form_kwargs,
    )
    in_place = is_htmx(request)
    response = render(
        request,
        fragment if in_place else template,
        {
            "nav": "admin",
            **context,
            "form": form_class(initial=unbound_values(form)),
            "formset": again,
            "version": edit.data.get("version") or "",
            "editor_error": edit.error,
        },
        status=422 if edit.error else 200,
    )
    if in_place:
        response[FRAGMENT_HEADER] = "1"
    patch_vary_headers(response, ("HX-Request",))
    return response
