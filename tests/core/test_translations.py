"""Every message the product shows has its Italian translation (docs/web.md): each string
marked for translation in the code and the templates is in the Italian catalogue, or is one
Django itself translates."""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
from pathlib import Path

from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2] / "casedesk"
CATALOGUE = ROOT / "locale" / "it" / "LC_MESSAGES" / "django.mo"
SINGULAR = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}
CONTEXTUAL = {"pgettext", "pgettext_lazy"}
_CALL = re.compile(r"\b(n?p?gettext)\((u?'(?:[^'\\]|\\.)*'(?:\s*,\s*u?'(?:[^'\\]|\\.)*')*)")


def _from_python(path: Path) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
        strings = [v for v in literals if isinstance(v, str)]
        if node.func.id in SINGULAR and strings and isinstance(node.args[0], ast.Constant):
            found.add(("", strings[0]))  # a plural is keyed by its singular
        elif node.func.id in CONTEXTUAL and len(strings) >= 2:
            found.add((strings[0], strings[1]))
    return found


def _from_template(path: Path) -> set[tuple[str, str]]:
    found = set()
    for function, arguments in _CALL.findall(templatize(path.read_text(), origin=str(path))):
        values = ast.literal_eval(f"({arguments.replace(chr(10), ' ')},)")
        if function.startswith("p"):
            found.add((values[0], values[1]))
        else:
            found.add(("", values[0]))
    return found


def _marked() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" not in path.parts:
            found |= _from_python(path)
    for path in ROOT.rglob("*.html"):
        found |= _from_template(path)
    for path in ROOT.rglob("*.txt"):
        if "templates" in path.parts:
            found |= _from_template(path)
    return found


def test_every_marked_message_has_its_italian_translation() -> None:
    with CATALOGUE.open("rb") as handle:
        ours = gettext_module.GNUTranslations(handle)
    keys = set(ours._catalog)  # type: ignore[attr-defined]
    missing = []
    for context, message in sorted(_marked()):
        key = f"{context}\x04{message}" if context else message
        if key in keys or (message, 0) in keys:
            continue
        with translation.override("it"):
            theirs = (
                translation.pgettext(context, message) if context else translation.gettext(message)
            )
        if theirs == message:
            missing.append(f"{context + ' | ' if context else ''}{message}")
    assert not missing, "untranslated into Italian:\n" + "\n".join(missing)


def test_the_extraction_finds_strings_in_code_and_templates() -> None:
    marked = _marked()
    assert ("", "Back to the dashboard") in marked  # templates
    assert ("", "Case %(ticket)s created.") in marked  # Python
