"""A form renderer that writes Django's most common form templates in Python.

The case page renders some thirty fields and several dialogs, with select lists of dozens of
options: through Django's templates (`django/forms/field.html`, `widgets/select.html`, one
`select_option.html` and one `attrs.html` per option) that is most of the page's CPU. This
renderer produces exactly the markup of those templates (same escaping, same whitespace; the
tests in tests/web/test_form_renderer.py compare the two) without going through the template
engine; any other template, or a widget whose options use another template, goes to Django's
own renderer as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "hidden",
        "number",
        "email",
        "url",
        "password",
        "date",
        "time",
        "datetime",
        "search",
        "tel",
    )
)


def _out(value: Any) -> str:
    """`{{ value }}` in a template with autoescape on."""
    return str(conditional_escape(localize(value)))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`."""
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (ValueError, TypeError):  # pragma: no cover - as the filter
        text = ""
    if isinstance(value, SafeData):
        return str(mark_safe(text))
    return str(conditional_escape(text))


def _attrs(attrs: dict[str, Any]) -> str:
    """`django/forms/widgets/attrs.html`."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_out(name)}")
        else:
            parts.append(f' {_out(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_out(value) if value else ''}</textarea>"
    )


def _file(widget: dict[str, Any]) -> str | None:
    """`clearable_file_input.html` with no file chosen before (a new upload)."""
    if widget.get("is_initial"):
        return None
    attrs = _attrs(widget["attrs"])
    return f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"{attrs}>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_out(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _field(field: Any) -> str:
    """`django/forms/field.html`, before the renderer strips it."""
    label = field.label
    if field.use_fieldset:
        described = field.aria_describedby
        aria = f' aria-describedby="{_out(described)}"' if described else ""
        head = f"\n  <fieldset{aria}>\n  {_out(field.legend_tag()) if label else ''}\n"
    else:
        head = f"\n  {_out(field.label_tag()) if label else ''}\n"
    help_text = ""
    if field.help_text:
        auto_id = field.auto_id
        ident = f' id="{_out(auto_id)}_helptext"' if auto_id else ""
        help_text = f'<div class="helptext"{ident}>{field.help_text}</div>'
    close = "</fieldset>" if field.use_fieldset else ""
    return f"{head}\n{help_text}\n{_out(field.errors)}\n{_out(field)}{close}\n"


def _widget_only(render: Callable[[dict[str, Any]], str | None]) -> Any:
    def fast(context: dict[str, Any]) -> str | None:
        if set(context) != {"widget"}:
            return None
        return render(context["widget"])

    return fast


FAST: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **dict.fromkeys(INPUT_TEMPLATES, _widget_only(_input)),
    "django/forms/widgets/textarea.html": _widget_only(_textarea),
    "django/forms/widgets/clearable_file_input.html": _widget_only(_file),
    "django/forms/widgets/select.html": _widget_only(_select),
}


def _label(context: dict[str, Any]) -> str | None:
    """`django/forms/label.html`."""
    if set(context) != {"field", "label", "attrs", "use_tag", "tag"}:
        return None
    label = _out(context["label"])
    if not context["use_tag"]:
        return label
    tag = _out(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _no_errors(context: dict[str, Any]) -> str | None:
    """`django/forms/errors/list/default.html` of no error (errors are rendered by Django)."""
    if set(context) != {"errors", "error_class"} or context["errors"]:
        return None
    return ""


FAST["django/forms/label.html"] = _label
FAST["django/forms/errors/list/default.html"] = _no_errors


class FastFormRenderer(DjangoTemplates):
    """Django's form renderer, with its field, input, textarea and select templates written
    in Python (identical output)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if request is None:
            if template_name == "django/forms/field.html" and set(context) == {"field"}:
                return _field(context["field"]).strip()
            fast = FAST.get(template_name)
            if fast is not None:
                done = fast(context)
                if done is not None:
                    return done.strip()
        return str(super().render(template_name, context, request))


FAST_RENDERER = FastFormRenderer()
