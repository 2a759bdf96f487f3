"""The base URL: the public address of the output folder, as a clinic gives it
(``base_url:`` in site.yaml or ``--base-url``).

It is printed in the feed, the page, the app links, the QR code and the
handout, so what is accepted must be a plain web address that every one of
those readers takes the same way: no credentials (they would be published),
no query or fragment, nothing a printer or a QR scanner would split.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

EXAMPLE = "https://clinic.example/audio"
# Names reserved for examples and tests (RFC 2606, RFC 6761): never anyone's
# public address.
_RESERVED_NAMES = ("example", "example.com", "example.net", "example.org", "localhost")
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost")


def parse(text: str) -> str:
    """``text`` as a base URL ending in one slash; a ValueError says what is
    wrong with it and how to write it."""
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in text):
        raise ValueError("it holds a space, a line break or another invisible character: write the address alone")
    try:
        parts = urlsplit(text)
        port = parts.port  # reads it: a port out of range or not a number raises
        host = parts.hostname
    except ValueError as exc:
        raise ValueError(f"it is not a web address ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"it must start with https:// (or http://), for example {EXAMPLE}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("it holds a user name or password, which would be printed in the feed, the page and the "
                         "handout: give the address without 'user:password@' and protect the folder on the server")
    if "?" in text or "#" in text:
        raise ValueError("it has a query ('?') or fragment ('#'): give the address of the folder only")
    if port == 0:
        raise ValueError("its port must be 1 to 65535")
    return text.rstrip("/") + "/"


def is_public(url: str) -> bool:
    """Whether ``url`` can be a podcast's lasting address: not this computer,
    not a name reserved for examples (the README's ``clinic.example``)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host not in _RESERVED_NAMES and not host.endswith(_RESERVED_SUFFIXES)
    return not (address.is_loopback or address.is_unspecified)
