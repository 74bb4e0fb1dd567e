"""Rendering message templates, which each domain declares in ``souk/<domain>/emails.py``.

Templates use :class:`string.Template` placeholders (``$code``, ``${store_name}``): no
expressions, no attribute access, nothing a variable's value can execute. Every value is
HTML-escaped before it enters the HTML body and flattened to one line before it enters a
subject, so a store name like ``<script>`` or a newline can neither inject markup nor
break a mail header. Producers call :func:`validate` at enqueue time so a wrong variable
name fails in the API's tests, not in the dead-letter queue.

The registry is found by convention (:mod:`souk.registry`): every ``souk.<domain>.emails``
module's ``TEMPLATES`` list, imported by name on first use (plain data, no cost), so a new
domain's messages need no edit here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cache
from string import Template

from souk import registry
from souk.notify.exceptions import MissingVariableError, UnknownTemplateError
from souk.notify.schemas import MessageTemplate, RenderedMessage

_LAYOUT = Template(
    "<!doctype html>\n"
    '<html><body style="font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#222">\n'
    "$body\n"
    '<p style="color:#888;font-size:12px">Souk</p>\n'
    "</body></html>"
)


@cache
def templates() -> dict[str, MessageTemplate]:
    """Every declared template by name, from each ``souk.<domain>.emails``.

    Raises
    ------
    ValueError
        Two templates have the same name.
    """
    found: dict[str, MessageTemplate] = {}
    for module in registry.declaring("emails"):
        for template in module.TEMPLATES:
            if template.name in found:
                raise ValueError(f"{module.__name__} declares the template {template.name!r}, declared already")
            found[template.name] = template
    return found


def get_template(name: str) -> MessageTemplate:
    """The registered template called ``name``.

    Raises
    ------
    UnknownTemplateError
        No template has that name.
    """
    try:
        return templates()[name]
    except KeyError:
        raise UnknownTemplateError(name) from None


def validate(name: str, variables: Mapping[str, object]) -> MessageTemplate:
    """Check that ``name`` exists and ``variables`` covers its required placeholders.

    Parameters
    ----------
    name
        Template name.
    variables
        Values by placeholder name; extra keys are allowed and ignored.

    Returns
    -------
    MessageTemplate
        The template, for callers that want it.

    Raises
    ------
    UnknownTemplateError, MissingVariableError
    """
    template = get_template(name)
    missing = sorted(template.required - variables.keys())
    if missing:
        raise MissingVariableError(name, missing)
    return template


def _one_line(value: str) -> str:
    # Subjects become a mail header: a CR/LF in a value must not start a new line.
    return " ".join(value.split())


def _html_value(value: str) -> str:
    # Escape first, then keep the author's line breaks (broadcast bodies are multi-line).
    return html.escape(value, quote=True).replace("\n", "<br>\n")


def render(name: str, variables: Mapping[str, object]) -> RenderedMessage:
    """Render template ``name`` with ``variables``.

    Parameters
    ----------
    name
        Template name, a key of :func:`templates`.
    variables
        Values by placeholder name. Numbers are formatted with ``str``. Values are
        HTML-escaped in the HTML body and flattened to one line in the subject.

    Returns
    -------
    RenderedMessage

    Raises
    ------
    UnknownTemplateError
        No template has that name.
    MissingVariableError
        A placeholder without a default has no value; lists every missing name.
    """
    template = validate(name, variables)
    values = {**template.defaults, **{key: str(value) for key, value in variables.items()}}
    return RenderedMessage(
        subject=Template(template.subject).substitute({k: _one_line(v) for k, v in values.items()}),
        text=Template(template.text).substitute(values),
        html=_LAYOUT.substitute(
            body=Template(template.html).substitute({k: _html_value(v) for k, v in values.items()})
        ),
        sms=Template(template.sms or template.text).substitute(values),
    )
