"""The clinic's site configuration: where the edition is published and whose
name, contact line and logo it carries, and the address podcast directories
write to.

It lives in ``site.yaml`` beside content/ (every key optional); command-line
options override it. The same guide published by two clinics differs only
where this branding does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from PIL import Image

from ..errors import ContentError
from ..model import Site
from .base_url import parse as parse_base_url
from .guides import INVISIBLE  # what a guide may not hold, a setting may not either

SITE_FILE = "site.yaml"
_KEYS = ("base_url", "clinic_name", "contact", "logo", "engine", "email", "cluster")
_LOGO_TYPES = (".png", ".jpg", ".jpeg")
# One bare address, within what the W3C feed validator accepts for
# itunes:email (its addr-spec rule, which takes no name, no "mailto:" and no
# non-ASCII domain without a DNS look-up) and what mail can be sent to: no
# dot at either end of the local part or twice in a row, and DNS labels.
_EMAIL = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9_\-+.'!#$%&*/=?^`{|}~]+(?<!\.)"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_EMAIL_LIMIT = 254  # characters: the longest address mail can carry (RFC 5321)


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    site: Site = Site()
    engine: str | None = None  # the speech engine for every guide that names none
    cluster: str | None = None  # a Dask scheduler's address (tcp://HOST:PORT) to build on


def load_site(path: Path | None) -> Settings:
    """The settings in ``path``; a missing default file is no settings."""
    if path is None:
        path = Path(SITE_FILE)
        if not path.exists():
            return Settings()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(path, None, f"cannot read the site file ({exc.strerror or exc}): check the path "
                           "given with --site") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(path, raw.count(b"\n", 0, exc.start) + 1, f"the site file is not UTF-8 (byte "
                           f"0x{raw[exc.start]:02x}): save it as UTF-8 in your editor") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(path, mark.line + 1 if mark else None,
                           f"{getattr(exc, 'problem', None) or 'not valid YAML'}: write one 'key: value' per line") \
            from None
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise ContentError(path, None, "a value cannot be read: write one 'key: value' per line, text in "
                           "quotes") from None
    if node is not None and not isinstance(node, yaml.MappingNode):
        raise ContentError(path, 1, "the site file must be 'key: value' lines")
    lines: dict = {}
    for key, _ in node.value if node is not None else ():
        if key.value in lines:
            raise ContentError(path, key.start_mark.line + 1, f"'{key.value}' is given twice (first on line "
                               f"{lines[key.value]}): keep one")
        lines[key.value] = key.start_mark.line + 1
    for key, value in data.items():
        if key not in _KEYS:
            raise ContentError(path, lines.get(key), f"unknown key '{key}': use any of {', '.join(_KEYS)}")
        if value is not None and not isinstance(value, str):
            raise ContentError(path, lines.get(key), f"'{key}' must be text: put it in quotes")
        plain_text(value, key, path, lines.get(key))
    base_url = data.get("base_url")
    if base_url is not None:
        try:
            parse_base_url(base_url)
        except ValueError as exc:
            raise ContentError(path, lines.get("base_url"), f"base_url {base_url!r}: {exc}") from None
    engine = (data.get("engine") or "").strip() or None
    site = branding(data.get("clinic_name"), data.get("contact"), data.get("logo"), path.parent, path,
                    lines.get("logo"))
    return Settings(base_url, replace(site, email=owner_email(data.get("email"), path, lines.get("email"))), engine,
                    (data.get("cluster") or "").strip() or None)


def plain_text(value: str | None, key: str, source: Path | str, line: int | None = None) -> None:
    """Refuse a setting (from the site file or the command line) that holds
    a character a feed cannot carry or a reader cannot see."""
    control = INVISIBLE.search(value or "")
    if control:
        raise ContentError(source, line, f"'{key}' holds the invisible character U+{ord(control.group()):04X}: "
                           "remove it")


def owner_email(value: str | None, source: Path | str = "--email", line: int | None = None) -> str | None:
    """The address podcast directories reach the publisher at, checked."""
    plain_text(value, "email", source, line)
    address = (value or "").strip()
    if not address:
        return None
    if len(address) > _EMAIL_LIMIT or not _EMAIL.fullmatch(address):
        raise ContentError(source, line, f"the email {address!r} is not one address podcast directories can "
                           "write to: give it alone, without a name or 'mailto:', for example "
                           "podcasts@clinic.example")
    return address


def branding(clinic_name: str | None, contact: str | None, logo: str | None, base: Path = Path("."),
             source: Path | str = "--logo", line: int | None = None) -> Site:
    """A Site with ``logo`` resolved against ``base`` and checked."""
    logo_path = None
    if logo:
        logo_path = (base / logo).resolve()
        if logo_path.suffix.lower() not in _LOGO_TYPES or not logo_path.is_file():
            raise ContentError(source, line, f"the logo {logo!r} must be a PNG or JPEG file that exists")
        try:
            with Image.open(logo_path) as image:
                kind = image.format
                image.verify()
        except Exception:  # noqa: BLE001 - Pillow raises many kinds for a damaged or foreign file
            kind = None
        if kind not in ("PNG", "JPEG"):
            raise ContentError(source, line, f"the logo {logo!r} is not a PNG or JPEG image (or it is damaged): "
                               "export it again as PNG or JPEG")
    return Site(clinic_name=(clinic_name or "").strip() or None, contact=(contact or "").strip() or None,
                logo=str(logo_path) if logo_path else None)
