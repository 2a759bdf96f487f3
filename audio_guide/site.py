"""The clinic's site configuration: where the edition is published and whose
name, contact line and logo it carries.

It lives in ``site.yaml`` beside content/ (every key optional); command-line
options override it. The same guide published by two clinics differs only
where this branding does.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ContentError
from .model import Site

SITE_FILE = "site.yaml"
_KEYS = ("base_url", "clinic_name", "contact", "logo")
_LOGO_TYPES = (".png", ".jpg", ".jpeg")


def load_site(path: Path | None) -> tuple[str | None, Site]:
    """(base URL, branding) from ``path``; a missing default file is no site."""
    if path is None:
        path = Path(SITE_FILE)
        if not path.exists():
            return None, Site()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, None, f"cannot read the site file ({exc}): save it as UTF-8 text") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(path, mark.line + 1 if mark else None,
                           f"{getattr(exc, 'problem', None) or 'not valid YAML'}: write one 'key: value' per line") \
            from None
    if node is not None and not isinstance(node, yaml.MappingNode):
        raise ContentError(path, 1, "the site file must be 'key: value' lines")
    lines = {key.value: key.start_mark.line + 1 for key, _ in node.value} if node is not None else {}
    for key, value in data.items():
        if key not in _KEYS:
            raise ContentError(path, lines.get(key), f"unknown key '{key}': use any of {', '.join(_KEYS)}")
        if value is not None and not isinstance(value, str):
            raise ContentError(path, lines.get(key), f"'{key}' must be text: put it in quotes")
    return data.get("base_url"), branding(data.get("clinic_name"), data.get("contact"), data.get("logo"),
                                          path.parent, path, lines.get("logo"))


def branding(clinic_name: str | None, contact: str | None, logo: str | None, base: Path = Path("."),
             source: Path | str = "--logo", line: int | None = None) -> Site:
    """A Site with ``logo`` resolved against ``base`` and checked."""
    logo_path = None
    if logo:
        logo_path = (base / logo).resolve()
        if logo_path.suffix.lower() not in _LOGO_TYPES or not logo_path.is_file():
            raise ContentError(source, line, f"the logo {logo!r} must be a PNG or JPEG file that exists")
    return Site(clinic_name=(clinic_name or "").strip() or None, contact=(contact or "").strip() or None,
                logo=str(logo_path) if logo_path else None)
