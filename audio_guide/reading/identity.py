"""Identities that outlive any one build: the guide's, kept beside it and
committed with it, and the site's own podcast guids, kept beside site.yaml.

Podcast apps recognise an episode by its guid and order episodes by pubDate:
if either changes, listeners see duplicates or lose their place. Both must
therefore survive edits to the text and title, a new base URL, and output/
being deleted and rebuilt on another machine. So they live in
``content/<guide>/identity.json`` (``identity.es.json`` for the translation
``guide.es.md``), which the build writes when a section is first seen and
never rewrites for a known one: each section's guid and first publication
date, under its section id (the ``{#id}`` after its title, or the id made from
its first title), and the guide's own date when its front matter gives none
(the date of its first build, so later builds give the same bytes).

A channel's podcast:guid names one feed worldwide: UUIDv5 of that feed's URL
at its first publication, kept when the site later moves. Two clinics that
publish the same guide publish two podcasts, so it belongs to the site, not
to the shared content: ``site-identity.json`` beside site.yaml. It is
recorded only for a public address, never for this computer or a placeholder
such as the README's ``clinic.example`` (base_url.is_public).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ConfigError, ContentError
from ..model import Guide
from .base_url import is_public
from .guides import file_language

FILE_NAME = "identity.json"
SITE_FILE_NAME = "site-identity.json"
# The namespace the Podcasting 2.0 spec fixes for podcast:guid.
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_NOTE = ("Written by audio-guide: each episode's guid and first publication date (and the guide's date when its "
         "front matter has none). Commit it with the guide. Keep a section's {#id} when you rename it, so its "
         "episode stays the same.")
_SITE_NOTE = ("Written by audio-guide: this site's podcast guid for each guide, made once from the guide's first "
              "public feed address and kept when the site moves. Keep it with site.yaml; never copy it to another "
              "site: it names this site's podcasts.")


@dataclass
class Identity:
    path: Path
    published: str | None = None  # the first build's date, for a guide whose front matter gives none
    episodes: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {guid, published}
    changed: bool = False
    # A podcast guid from before it was kept by the site (adopted by the site
    # that made it; never written again here).
    legacy_podcast: tuple[str, str] | None = None

    def episode(self, section_id: str) -> tuple[str, _dt.datetime]:
        entry = self.episodes[section_id]
        return entry["guid"], _dt.datetime.fromisoformat(entry["published"])

    def save(self) -> None:
        """Write the file if the build added anything (atomically: it is the
        only copy of this identity)."""
        if not self.changed:
            return
        data = {"note": _NOTE, **({"published": self.published} if self.published else {}),
                "episodes": self.episodes}
        _save(self.path, data)
        self.changed = False


@dataclass
class SiteIdentity:
    """The site's podcast guid for each guide, by the guide's folder name."""
    path: Path
    podcasts: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> {podcast_guid, first_feed_url}
    changed: bool = False

    def podcast(self, slug: str, feed_url: str, legacy: tuple[str, str] | None = None) -> str | None:
        """The podcast:guid of the guide ``slug`` published at ``feed_url``:
        kept from its first public feed URL, made now if this is it, and
        None while the feed is not public."""
        if slug not in self.podcasts and is_public(feed_url):
            guid, first = legacy if legacy and legacy[1] == feed_url else (podcast_guid(feed_url), feed_url)
            self.podcasts[slug] = {"podcast_guid": guid, "first_feed_url": first}
            self.changed = True
        entry = self.podcasts.get(slug)
        return entry["podcast_guid"] if entry else None

    def save(self) -> None:
        if self.changed:
            _save(self.path, {"note": _SITE_NOTE, "podcasts": self.podcasts})
            self.changed = False


def _save(path: Path, data: dict) -> None:
    """Atomically: the file is the only copy of these identities."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE, bare))


def file_for(guide_path: str | Path) -> Path:
    """identity.json beside guide.md; identity.es.json beside its translation guide.es.md."""
    guide_path = Path(guide_path)
    language = file_language(guide_path)
    return guide_path.parent / (f"identity.{language}.json" if language else FILE_NAME)


def load(guide: Guide) -> Identity:
    path = file_for(guide.path)
    if not path.exists():
        return Identity(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        episodes = data["episodes"]
        for entry in episodes.values():
            if not isinstance(entry["guid"], str) or not entry["guid"]:
                raise ValueError("an episode has no guid")
            _dt.datetime.fromisoformat(entry["published"])
        published = data.get("published")
        if published is not None:
            _dt.date.fromisoformat(published)
        legacy = (data["podcast_guid"], data["first_feed_url"]) if data.get("podcast_guid") else None
        return Identity(path, published, episodes, legacy_podcast=legacy)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, exc, "deleting it would give every episode a new identity")


def load_site(folder: Path) -> SiteIdentity:
    path = folder / SITE_FILE_NAME
    if not path.exists():
        return SiteIdentity(path)
    try:
        podcasts = json.loads(path.read_text(encoding="utf-8"))["podcasts"]
        for entry in podcasts.values():
            uuid.UUID(entry["podcast_guid"])
            if not isinstance(entry["first_feed_url"], str):
                raise ValueError("a podcast has no first feed address")
        return SiteIdentity(path, podcasts)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, exc, "deleting it would give this site's podcasts new guids, and apps would lose "
                                  "the feeds when the site moves")


def _damaged(path: Path, exc: Exception, loss: str) -> ContentError:
    return ContentError(path, None, f"this file is damaged ({exc}): restore it from version control; {loss}")


def dated(guide: Guide, identity: Identity) -> Guide:
    """``guide`` with a date: its front matter's, else the one its first build
    recorded, else today's (SOURCE_DATE_EPOCH's when set), recorded now."""
    if guide.published:
        return guide
    if not identity.published:
        identity.published, identity.changed = _today().isoformat(), True
    return replace(guide, published=_dt.date.fromisoformat(identity.published))


def assign(identity: Identity, guide: Guide) -> None:
    """Give every new section a guid and a date (``guide`` is dated)."""
    day = (guide.updated if identity.episodes else None) or guide.published
    for number, section in enumerate(guide.sections, start=1):
        if section.id in identity.episodes:
            continue
        # Minutes apart, in section order, so apps that sort by date agree.
        when = _dt.datetime.combine(day, _dt.time(), _dt.timezone.utc) + _dt.timedelta(minutes=number - 1)
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audio-guide:{guide.slug}/{section.id}"))
        identity.episodes[section.id] = {"guid": guid, "published": when.isoformat()}
        identity.changed = True


def _today() -> _dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # the reproducible-builds convention
    if epoch:
        try:
            return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise ConfigError(f"SOURCE_DATE_EPOCH {epoch!r} must be a whole number of seconds since "
                              "1970-01-01, as 'date +%s' prints") from None
    return _dt.datetime.now(_dt.timezone.utc).date()
