"""Reads whose SQL is compiled once per process (docs/performance.md, "The web pages").

Compiling a query to SQL is most of what the ORM costs a page: a case read with its joins,
the three kinds of the timeline, the side panels each take longer to compile than to run.
A `Statement` is a read of a fixed shape with named values (a case id, a customer id, a
date): the first time it runs on a database it is built with stand-in values and compiled;
from then on each run fills the values into the compiled SQL and goes through Django's own
iteration (model instances, `select_related`, `values()`), so the answer is exactly the
queryset's.

What may vary is only what the build receives: its values must be ids, numbers, text or dates,
never None (a None would change the SQL: `IS NULL`), and the build must read nothing else that
changes (no clock, no settings) — what it does not receive is compiled in. A run given None,
or a build whose stand-ins do not all reach the parameters, is answered by the queryset
compiled the usual way.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

T = TypeVar("T")
_MISSING: Any = object()

# How a value reaches the parameters, found by where its stand-in landed.
_FORMS: dict[str, Callable[[Any], Any]] = {
    "same": lambda value: value,
    "hex": lambda value: value.hex,
    "text": str,
    "iso": lambda value: value.isoformat(),
}


def _stand_in(value: Any) -> Any:
    """A value of the same kind as `value` that no query would hold by chance."""
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, bool):
        raise TypeError("a flag changes a query's shape: build one statement for each")
    if isinstance(value, int):
        return 7_000_000_000 + secrets.randbelow(1_000_000_000)
    if isinstance(value, str):
        return f"statement-{secrets.token_hex(8)}"
    if isinstance(value, dt.datetime):
        raise TypeError("times are compiled as the connection's time zone sees them: not taken")
    if isinstance(value, dt.date):
        return dt.date(2400, 1, 1) + dt.timedelta(days=secrets.randbelow(100_000))
    raise TypeError(f"a statement takes ids, numbers, text and dates, not {type(value)!r}")


@dataclass(frozen=True)
class _Compiled:
    template: QuerySet[Any]
    compiler: Any
    sql: str
    # Each parameter: a fixed value, or (name, form) of a value given to the run.
    slots: tuple[tuple[bool, Any], ...]


class Statement(Generic[T]):
    """`Statement(build)`: `build(**values)` returns the queryset; `run(**values)` its rows."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled | None] = {}  # by database alias
        self._lock = threading.Lock()

    def run(self, **values: Any) -> list[T]:
        if any(value is None for value in values.values()):
            return list(self._build(**values))
        compiled = self._compiled.get(DEFAULT_DB_ALIAS, _MISSING)
        if compiled is _MISSING:
            with self._lock:
                compiled = self._compiled.get(DEFAULT_DB_ALIAS, _MISSING)
                if compiled is _MISSING:
                    compiled = self._compiled[DEFAULT_DB_ALIAS] = self._compile(values)
        if not isinstance(compiled, _Compiled):
            return list(self._build(**values))
        params = [
            _FORMS[slot[1]](values[slot[0]]) if taken else slot for taken, slot in compiled.slots
        ]
        # The compiled statement's compiler, on this thread's connection, answering the SQL
        # with this run's parameters; Django's iteration does the rest.
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connections[DEFAULT_DB_ALIAS]
        sql = compiled.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, list(params))
        clone = compiled.template._chain()  # type: ignore[attr-defined]
        clone.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(clone)

    def _compile(self, values: dict[str, Any]) -> _Compiled | None:
        stand_ins = {name: _stand_in(value) for name, value in values.items()}
        template = self._build(**stand_ins)
        compiler = template.query.get_compiler(using=template.db)
        sql, params = compiler.as_sql()
        found: set[str] = set()
        slots: list[tuple[bool, Any]] = []
        for param in params:
            slot: tuple[bool, Any] = (False, param)
            for name, stand_in in stand_ins.items():
                form = _form_of(param, stand_in)
                if form is not None:
                    slot = (True, (name, form))
                    found.add(name)
                    break
            slots.append(slot)
        if found != set(stand_ins):
            return None  # a value the SQL holds in another form: compiled at each run
        return _Compiled(template=template, compiler=compiler, sql=sql, slots=tuple(slots))


def _form_of(param: Any, stand_in: Any) -> str | None:
    for form, make in _FORMS.items():
        try:
            made = make(stand_in)
        except AttributeError:  # a form the stand-in does not have (`hex` of a date)
            continue
        if type(param) is type(made) and param == made:
            return form
    return None
