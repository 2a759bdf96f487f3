"""The podcast's lasting identity, kept beside the guide and committed with it.

Podcast apps recognise an episode by its guid and order episodes by pubDate:
if either changes, listeners see duplicates or lose their place. Both must
therefore survive edits to the text and title, a new base URL, and output/
being deleted and rebuilt on another machine. So they live in
``content/<guide>/identity.json`` (``identity.es.json`` for the translation
``guide.es.md``), which the build writes when a section is first seen and
never rewrites for a known one:

- each section's guid and first publication date, under its section id (the
  ``{#id}`` after its title, or the id made from its first title);
- the channel's podcast:guid, computed once from the first public feed URL as
  the Podcasting 2.0 spec says, and kept when the URL later changes.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentError
from ..model import Guide
from .guides import file_language

FILE_NAME = "identity.json"
# The namespace the Podcasting 2.0 spec fixes for podcast:guid.
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_NOTE = ("Written by audio-guide: each episode's guid and first publication date, and the podcast's guid. "
         "Commit it with the guide. Keep a section's {#id} when you rename it, so its episode stays the same.")


@dataclass
class Identity:
    path: Path
    podcast_guid: str | None = None
    first_feed_url: str | None = None
    episodes: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {guid, published}
    changed: bool = False

    def episode(self, section_id: str) -> tuple[str, _dt.datetime]:
        entry = self.episodes[section_id]
        return entry["guid"], _dt.datetime.fromisoformat(entry["published"])

    def save(self) -> None:
        """Write the file if the build added anything (atomically: it is the
        only copy of this identity)."""
        if not self.changed:
            return
        data = {"note": _NOTE, "podcast_guid": self.podcast_guid, "first_feed_url": self.first_feed_url,
                "episodes": self.episodes}
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        self.changed = False


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
        return Identity(path, data.get("podcast_guid"), data.get("first_feed_url"), episodes)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ContentError(path, None, f"this file is damaged ({exc}): restore it from version control; "
                           "deleting it would give every episode a new identity") from None


def assign(identity: Identity, guide: Guide, feed_url: str | None) -> None:
    """Give every new section a guid and a date, and the podcast its guid once
    it has a public feed URL (``feed_url`` None while there is none)."""
    if feed_url and not identity.podcast_guid:
        identity.podcast_guid, identity.first_feed_url = podcast_guid(feed_url), feed_url
        identity.changed = True
    day = guide.updated if identity.episodes else guide.published
    day = day or guide.published or _source_date(guide)
    for number, section in enumerate(guide.sections, start=1):
        if section.id in identity.episodes:
            continue
        # Minutes apart, in section order, so apps that sort by date agree.
        when = _dt.datetime.combine(day, _dt.time(), _dt.timezone.utc) + _dt.timedelta(minutes=number - 1)
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audio-guide:{guide.slug}/{section.id}"))
        identity.episodes[section.id] = {"guid": guid, "published": when.isoformat()}
        identity.changed = True


def _source_date(guide: Guide) -> _dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date()
    raise ContentError(guide.path, 1, "the guide has no date: add 'published: YYYY-MM-DD' to the front matter "
                       "(podcast apps order and show episodes by it)")
