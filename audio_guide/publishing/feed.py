"""The podcast: an RSS 2.0 feed per guide, Podcasting 2.0 JSON chapters per
episode, and an OPML list of every guide's feed.

Written to the letter of shared podcast practice as checked against real
parsers: the podcast namespace is the GitHub URI (gPodder's podcastparser
ignores the other one), guids are not permalinks, the VTT transcript comes
last (podcastparser and feedparser keep only the last), psc times are
HH:MM:SS.mmm and durations whole seconds.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Sequence

from .. import durations
from .. import phrases as strings
from ..layout import PAGE_FILE
from ..model import ChapterMark, Edition, Episode, publisher

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

CATEGORY = ("Health & Fitness", "Mental Health")
DESCRIPTION_LIMIT = 4000  # bytes, Apple's limit for a channel description
# Transcript types in the order written: VTT last, for parsers that keep one.
TRANSCRIPT_TYPES = (("html", "text/html"), ("txt", "text/plain"), ("srt", "application/x-subrip"),
                    ("vtt", "text/vtt"))
_HEX = {b"&amp;": b"&#x26;", b"&lt;": b"&#x3C;", b"&gt;": b"&#x3E;"}
_ESCAPE = re.compile(b"|".join(_HEX))


def _q(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{NS[prefix]}}}{local}" if prefix else local


def _add(parent: ET.Element, name: str, content: str | None = None, /, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), attributes)
    if content is not None:
        element.text = content
    return element


def seconds(ms: int) -> float:
    """A time as JSON chapters give it: a number of seconds, to the millisecond."""
    return round(ms / 1000, 3)


def chapters_json(chapters: Sequence[ChapterMark]) -> str:
    """Podcasting 2.0 JSON chapters; the same ms as the ID3 chapters."""
    return json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": seconds(c.start), "endTime": seconds(c.end), "title": c.title, "toc": True}
        for c in chapters]}, ensure_ascii=False, indent=2) + "\n"


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode(errors="ignore").rstrip() + "…"


def opening_words(episode: Episode) -> str:
    """The section's first sentence: what the episode begins with, after its
    announcement."""
    return next(line.text for line in episode.lines if line.block >= 0)


def _text_as_html(text: str) -> str:
    """RSS descriptions are HTML: a literal < or & in the guide's text must be
    escaped as HTML (and then again as XML, which ElementTree does)."""
    return html.escape(text, quote=False)


def _item_description(edition: Edition, episode: Episode) -> str:
    e = html.escape
    words = strings.table(edition.guide.language)
    return (f"<p>{_text_as_html(opening_words(episode))}</p>"
            f'<p><a href="{e(edition.url(episode.files.html))}">{e(words["feed_transcript"])}</a> · '
            f'<a href="{e(edition.url(PAGE_FILE))}#{e(episode.section.id)}">{e(words["feed_page"])}</a></p>')


def rss(edition: Edition) -> bytes:
    guide = edition.guide
    root = ET.Element("rss", {"version": "2.0"})
    channel = _add(root, "channel")
    _add(channel, "title", guide.title)
    description = guide.description or guide.subtitle or guide.title
    if edition.site.clinic_name:
        description += "\n\n" + strings.text(guide.language, "shared_by", clinic=edition.site.clinic_name) + \
            (f" {edition.site.contact}" if edition.site.contact else "")
    # Truncated before escaping, with room for what escaping adds.
    _add(channel, "description", _text_as_html(_truncate_utf8(description, DESCRIPTION_LIMIT - 400)))
    _add(channel, "link", edition.url(""))
    _add(channel, "language", guide.language)
    if guide.copyright or guide.license:
        _add(channel, "copyright", guide.copyright or guide.license)
    _add(channel, "generator", "audio-guide")
    if edition.episodes:
        latest = max(episode.published for episode in edition.episodes)
        _add(channel, "lastBuildDate", email.utils.format_datetime(latest))
    _add(channel, "atom:link", href=edition.feed_url, rel="self", type="application/rss+xml")
    image = _add(channel, "image")
    _add(image, "url", edition.url(edition.cover))
    _add(image, "title", guide.title)
    _add(image, "link", edition.url(""))
    _add(channel, "itunes:author", publisher(guide, edition.site))
    if edition.site.email:  # directories write to the owner; without an address an owner tells them nothing
        owner = _add(channel, "itunes:owner")
        _add(owner, "itunes:name", publisher(guide, edition.site))
        _add(owner, "itunes:email", edition.site.email)
    if guide.subtitle:
        _add(channel, "itunes:subtitle", guide.subtitle)
    _add(channel, "itunes:summary", _truncate_utf8(description, DESCRIPTION_LIMIT))
    _add(channel, "itunes:image", href=edition.url(edition.cover))
    category = _add(channel, "itunes:category", text=CATEGORY[0])
    _add(category, "itunes:category", text=CATEGORY[1])
    _add(channel, "itunes:explicit", "false")
    _add(channel, "itunes:type", "serial")
    if edition.podcast_guid:  # none for a feed on this computer or a placeholder address: it names one feed
        _add(channel, "podcast:guid", edition.podcast_guid)
    _add(channel, "podcast:locked", "yes")
    _add(channel, "podcast:medium", "podcast")
    if guide.license:
        _add(channel, "podcast:license", guide.license)
    for episode in edition.episodes:
        _item(channel, edition, episode)
    ET.indent(root, space="  ")
    return _hex_references(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _hex_references(xml: bytes) -> bytes:
    """&, < and > as the RSS Profile would have them in text: hexadecimal
    character references (&#x26;), which validators read as plain text where
    &amp; and &lt; look like markup that leaked in. The same characters to any
    XML parser; ElementTree writes &amp;, &lt; and &gt; only for these."""
    return _ESCAPE.sub(lambda match: _HEX[match.group()], xml)


def _item(channel: ET.Element, edition: Edition, episode: Episode) -> None:
    item = _add(channel, "item")
    _add(item, "title", episode.section.title)
    _add(item, "description", _item_description(edition, episode))
    _add(item, "link", f"{edition.url(PAGE_FILE)}#{episode.section.id}")
    _add(item, "enclosure", url=edition.url(episode.files.audio), length=str(episode.size), type="audio/mpeg")
    _add(item, "guid", episode.guid, isPermaLink="false")
    _add(item, "pubDate", email.utils.format_datetime(episode.published))
    _add(item, "itunes:title", episode.section.title)
    _add(item, "itunes:duration", str(durations.whole_seconds(episode.duration_ms)))
    _add(item, "itunes:episode", str(episode.number))
    _add(item, "itunes:episodeType", "full")
    _add(item, "itunes:explicit", "false")
    _add(item, "podcast:chapters", url=edition.url(episode.files.chapters), type="application/json+chapters")
    for kind, mime in TRANSCRIPT_TYPES:
        attributes = {"url": edition.url(getattr(episode.files, kind)), "type": mime,
                      "language": edition.guide.language}
        if kind == "vtt":
            attributes["rel"] = "captions"
        _add(item, "podcast:transcript", **attributes)
    chapters = _add(item, "psc:chapters", version="1.2")
    for chapter in episode.chapters:
        _add(chapters, "psc:chapter", start=durations.timestamp(chapter.start), title=chapter.title)


def opml(editions: Sequence[Edition]) -> bytes:
    """Every guide's feed, for clinics that publish more than one."""
    root = ET.Element("opml", {"version": "2.0"})
    head = _add(root, "head")
    _add(head, "title", strings.text(strings.shared_language(e.guide.language for e in editions), "catalog_title"))
    body = _add(root, "body")
    for edition in editions:
        _add(body, "outline", type="rss", text=edition.guide.title, title=edition.guide.title,
             xmlUrl=edition.feed_url, htmlUrl=edition.url(""), language=edition.guide.language)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
