"""HTML from the Jinja2 templates in publishing/templates/: the listening page,
the catalog and the HTML transcripts.

Escaping is the templates' default, not a habit: every value a template
prints is escaped unless it is already markup (a Markup, such as the
inlined styles and script, or what a macro or ``say`` returns). Values are
escaped with ``html.escape``, not markupsafe's own escape, so quotes stay
``&quot;`` and ``&#x27;`` as the pages have always written them: a rebuild of
an unchanged edition keeps every byte, and every checksum.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from .. import phrases as strings

ASSETS = Path(__file__).with_name("assets")
TEMPLATES = Path(__file__).with_name("templates")


def escaped(value: object) -> Markup:
    """``value`` as HTML: markup as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return Markup(html.escape(str(value), quote=True))


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    finalize=escaped,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def render(template: str, **context: object) -> str:
    return _ENVIRONMENT.get_template(template).render(**context)


@lru_cache(maxsize=None)
def asset(name: str) -> Markup:
    """A file of assets/, to inline in a <style> or <script> element."""
    text = (ASSETS / name).read_text(encoding="utf-8")
    # Inlined in <style>/<script>: a closing tag inside would end the element early.
    if re.search(r"</(style|script)", text, re.IGNORECASE):
        raise ValueError(f"{name} must not contain a closing </style> or </script> tag")
    return Markup(text.strip())


def phrases(language: str) -> Callable[..., Markup]:
    """``say(key, **values)``: the tool's own words in ``language``
    (phrases.py) as HTML, the values escaped unless they are markup."""
    table = strings.table(language)

    def say(key: str, **values: object) -> Markup:
        return Markup(html.escape(table[key]).format(**{name: escaped(v) for name, v in values.items()}))

    return say
