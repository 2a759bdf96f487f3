"""The listening page of an edition (``<guide>/index.html``) and the catalog
of several guides (``index.html`` above them).

Who listens: people who are blind or have low vision, who read with
difficulty, or who are grieving, often on a phone. So the page is one static
file that works from any web host and without JavaScript: the native players,
chapters, transcripts, downloads and subscribe links are all plain HTML, with
links relative to the guide's folder. The inlined script (assets/page.js)
only enhances: it highlights the sentence being spoken, seeks from sentences
and chapters, adds speed and skip controls, keeps one player playing, keeps
a Pause button in reach when the player scrolls away, and fills in the
lock-screen controls (Media Session).

Everything the guide wrote goes through ``html.escape``; the script reads
titles from escaped data attributes, never from text pasted into code. The
output depends only on the edition (no clock), so a rebuild of the same
edition writes the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, urlsplit

from .. import phrases as strings
from ..layout import FEED_FILE, HANDOUT_FILE, OPML_FILE
from ..model import Edition, Episode, Line
from .transcripts import paragraphs

ASSETS = Path(__file__).with_name("assets")
SPEEDS = ("0.75", "1", "1.25", "1.5", "1.75", "2")  # the select's values, as the script writes them back
SKIP_BACK_S = 15
SKIP_FORWARD_S = 30
# Primary language subtags written right to left.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"})
# Addresses that only work on the computer that built the edition (pipeline.LOCAL_BASE_URL).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _t(language: str, key: str, **values: object) -> str:
    """The page's own words in ``language`` (phrases.py), as HTML; ``values``
    are HTML already (escape what the guide wrote before passing it)."""
    return _e(strings.table(language)[key]).format(**values)


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    # Inlined in <style>/<script>: a closing tag inside would end the element early.
    if re.search(r"</(style|script)", text, re.IGNORECASE):
        raise ValueError(f"{name} must not contain a closing </style> or </script> tag")
    return text.strip()


# Formatting ---------------------------------------------------------------


def clock(ms: int) -> str:
    """A length as a player shows it: 4:02, or 1:04:02 past the hour."""
    hours, rest = divmod(round(ms / 1000), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _duration(ms: int) -> str:
    """A <time> element: the clock for the eye, an ISO 8601 duration for machines."""
    hours, rest = divmod(round(ms / 1000), 3600)
    minutes, seconds = divmod(rest, 60)
    iso = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{seconds}S"
    return f'<time datetime="{iso}">{clock(ms)}</time>'


def _size(size: int) -> str:
    """Bytes as people on a metered phone plan read them."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _date(day: _dt.date, language: str = "en") -> str:
    # Month names spelled out here, not by strftime, which follows the locale.
    shown = _t(language, "date", day=day.day, month=_e(strings.month(language, day.month)), year=day.year)
    return f'<time datetime="{day.isoformat()}">{shown}</time>'


def _seconds(ms: int) -> str:
    """A media fragment time (#t=) in seconds, without needless zeros."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def _direction(language: str) -> str:
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _plural(count: int, word: str, language: str = "en") -> str:
    if word == "section":
        return _e(strings.count(language, count))
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _hidden(text: str) -> str:
    """Words for screen readers only: they make a short visible label unique."""
    return f'<span class="visually-hidden">{text}</span>'


def app_links(feed_url: str) -> list[tuple[str, str]]:
    """(app, link) pairs that open a podcast app at the subscribe screen."""
    bare = feed_url.split("://", 1)[-1]
    return [
        ("Apple Podcasts", f"podcasts://{bare}"),
        ("Pocket Casts", f"pktc://subscribe/{bare}"),
        ("Overcast", f"overcast://x-callback-url/add?url={quote(feed_url, safe='')}"),
        ("AntennaPod", f"antennapod-subscribe://{bare}"),
    ]


# The guide page -----------------------------------------------------------


def render_page(edition: Edition) -> str:
    """The listening page for one guide, to be written to ``<guide>/index.html``."""
    guide = edition.guide
    lang = guide.language
    summary = guide.description or guide.subtitle or guide.title
    page_title = f"{guide.title}: {guide.subtitle}" if guide.subtitle else guide.title
    album = guide.subtitle or guide.title
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}" dir="{_direction(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{_t(lang, 'page_title', title=_e(page_title))}</title>",
        f'<meta name="description" content="{_e(summary)}">',
        f'<link rel="alternate" type="application/rss+xml" title="{_e(guide.title)}" href="{FEED_FILE}">',
        # The cover is loaded by the page anyway: as the icon it costs nothing more (and no 404 for /favicon.ico).
        f'<link rel="icon" href="{_e(edition.cover)}" type="image/jpeg">',
        f'<link rel="apple-touch-icon" href="{_e(edition.cover)}">',
        # Before the styles, so the controls that need JavaScript appear in the first paint, without a jump.
        '<script>document.documentElement.className += " js";</script>',
        f"<style>\n{_asset('page.css')}\n</style>",
        "</head>",
        f'<body data-guide-title="{_e(guide.title)}" data-album="{_e(album)}" data-cover="{_e(edition.cover)}"'
        f"{_script_words(lang)}>",
        f'<a class="skip-link" href="#page_main">{_t(lang, "skip")}</a>',
        _header(edition),
        '<main id="page_main" tabindex="-1">',
        '<div class="wrap">',
        _contents(edition),
        _how_to_listen(lang),
        *(_episode(edition, episode) for episode in edition.episodes),
        _whole_guide(edition),
        _subscribe(edition),
        "</div>",
        "</main>",
        _footer(edition),
        f"<script>\n{_asset('page.js')}\n</script>",
        "</body>",
        "</html>",
        "",
    ])


# What page.js writes itself, as data-words-<key> (English is its own default).
_SCRIPT_WORDS = ("play", "pause", "now-playing", "audio-error", "copied", "copy-failed")


def _script_words(lang: str) -> str:
    if lang.split("-")[0].lower() == strings.ENGLISH:
        return ""
    return "".join(f' data-words-{key}="{_t(lang, "js_" + key.replace("-", "_"))}"' for key in _SCRIPT_WORDS)


def _branding(edition: Edition) -> str:
    site, logo = edition.site, edition.logo
    if not (site.clinic_name or site.contact or logo):
        return ""
    # With the clinic's name written beside it, the logo is decoration: alt="".
    alt = "" if site.clinic_name else _t(edition.guide.language, "clinic_logo")
    image = f'<img class="logo" src="{_e(logo)}" alt="{alt}" height="48">' if logo else ""
    name = f'<span class="clinic-name">{_e(site.clinic_name)}</span>' if site.clinic_name else ""
    contact = f'<span class="clinic-contact">{_e(site.contact)}</span>' if site.contact else ""
    return f'<p class="clinic" dir="auto">{image}{name}{contact}</p>'


def _header(edition: Edition) -> str:
    guide = edition.guide
    sections = len(edition.episodes)
    subtitle = f'<p class="subtitle" dir="auto">{_e(guide.subtitle)}</p>' if guide.subtitle else ""
    description = f'<p class="description" dir="auto">{_e(guide.description)}</p>' if guide.description else ""
    facts = _t(guide.language, "facts", sections=_plural(sections, "section", guide.language).capitalize(),
               length=_duration(edition.full.duration_ms))
    return "\n".join([
        '<header class="page-header">',
        '<div class="wrap">',
        _branding(edition),
        '<div class="hero">',
        # The cover shows the title, which is the h1 beside it: decoration for a screen reader.
        f'<img class="cover" src="{_e(edition.cover)}" alt="" width="3000" height="3000" decoding="async">',
        '<div class="hero-text">',
        f'<h1 dir="auto">{_e(guide.title)}</h1>',
        subtitle,
        description,
        f'<p class="facts">{facts}</p>',
        "</div>",
        "</div>",
        "</div>",
        "</header>",
    ])


def _contents(edition: Edition) -> str:
    items = "\n".join(
        f'<li><a href="#{_e(ep.section.id)}"><span class="toc-title" dir="auto">{_e(ep.section.title)}</span> '
        f'<span class="toc-length">{_duration(ep.duration_ms)}</span></a></li>'
        for ep in edition.episodes)
    return "\n".join([
        '<nav class="contents" aria-labelledby="page_contents_title">',
        f'<h2 id="page_contents_title">{_t(edition.guide.language, "contents")}</h2>',
        f'<ol>\n{items}\n</ol>',
        "</nav>",
    ])


def _how_to_listen(lang: str) -> str:
    return "\n".join([
        '<div class="how-to">',
        f'<p class="needs-js">{_t(lang, "how_to_js", back=SKIP_BACK_S, forward=SKIP_FORWARD_S)}</p>',
        f'<p class="no-js">{_t(lang, "how_to_no_js")}</p>',
        "</div>",
    ])


def _episode(edition: Edition, episode: Episode) -> str:
    section = episode.section
    sid = section.id  # the id feed links land on (index.html#<id>): never change it
    title = _e(section.title)
    files = episode.files
    audio = _e(files.audio)
    chapter_starts = " ".join(str(mark.start) for mark in episode.chapters) or "0"
    total = len(edition.episodes)
    lang = edition.guide.language
    return "\n".join([
        f'<section class="episode" id="{_e(sid)}" aria-labelledby="{_e(sid)}_title" data-title="{title}">',
        f'<h2 id="{_e(sid)}_title"><span class="kicker">{_t(lang, "section_of", number=episode.number, total=total)}'
        f'{_hidden(": ")}</span> <bdi>{title}</bdi></h2>',
        '<div class="episode-body">',
        '<div class="listen">',
        f'<p class="length">{_t(lang, "length")} {_duration(episode.duration_ms)}</p>',
        # preload="none": nothing is fetched on a metered phone until the listener asks.
        f'<audio controls preload="none" src="{audio}" aria-labelledby="{_e(sid)}_title" '
        f'data-chapters="{chapter_starts}">',
        f'<track kind="captions" src="{_e(files.vtt)}" srclang="{_e(lang)}" label="{_t(lang, "captions")}">',
        f'<a href="{audio}">{_t(lang, "download_audio_of", title=title)}</a>',
        "</audio>",
        _controls(sid, title, lang),
        '<p class="player-error" role="status" hidden></p>',
        _parts(episode, lang),
        "</div>",
        _transcript(episode, lang),
        # After the words, so a phone reaches them straight after the player; below both on a wide screen.
        _downloads(episode, lang),
        "</div>",
        "</section>",
    ])


_PLAY_ICON = ('<svg class="icon icon-play" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
              '<path d="M7 4.5v15l13-7.5z"/></svg>'
              '<svg class="icon icon-pause" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
              '<path d="M6 4h4.5v16H6zM13.5 4H18v16h-4.5z"/></svg>')


def _controls(sid: str, title: str, lang: str = "en") -> str:
    """Play, skip and speed: buttons the script wires up, hidden without it
    (the native player does the same, only smaller)."""
    normal = f" ({_t(lang, 'normal')})"
    options = "".join(f'<option value="{s}"{" selected" if s == "1" else ""}>{s}×{normal if s == "1" else ""}'
                      "</option>" for s in SPEEDS)
    return "\n".join([
        f'<div class="controls needs-js" role="group" aria-label="{_t(lang, "controls", title=title)}">',
        f'<button type="button" class="play">{_PLAY_ICON}<span class="play-label">{_t(lang, "play")}</span>'
        f"{_hidden(' ' + title)}</button>",
        # Words in full on two lines, not "15 s" or an icon: what a button says is what it is called.
        f'<button type="button" class="skip" data-skip="-{SKIP_BACK_S}"><span>{_t(lang, "back")}</span> '
        f'<span class="amount">{_t(lang, "seconds", count=SKIP_BACK_S)}</span></button>',
        f'<button type="button" class="skip" data-skip="{SKIP_FORWARD_S}"><span>{_t(lang, "forward")}</span> '
        f'<span class="amount">{_t(lang, "seconds", count=SKIP_FORWARD_S)}</span></button>',
        f'<span class="speed-field"><label for="{_e(sid)}_speed">{_t(lang, "speed")}</label> '
        f'<select id="{_e(sid)}_speed" class="speed">{options}</select></span>',
        "</div>",
    ])


def _parts(episode: Episode, lang: str = "en") -> str:
    """The chapters as jump points: links to the MP3 at that time (a media
    fragment) that the script turns into a seek in the player above."""
    if len(episode.chapters) < 2:
        return ""  # one chapter is the whole section: the Play button already starts it
    sid = episode.section.id
    items = "\n".join(
        f'<li><a class="part" href="{_e(episode.files.audio)}#t={_seconds(mark.start)}" data-start="{mark.start}">'
        f'<span class="part-title" dir="auto">{_e(mark.title)}</span> '
        f'<span class="part-time">{_duration(mark.start)}</span></a></li>'
        for mark in episode.chapters)
    return "\n".join([
        f'<h3 id="{_e(sid)}_parts">{_t(lang, "parts")}</h3>',
        # role="list": Safari drops the list semantics of a list styled without bullets.
        f'<ol class="parts" role="list" aria-labelledby="{_e(sid)}_parts">\n{items}\n</ol>',
    ])


def _downloads(episode: Episode, lang: str = "en") -> str:
    files = episode.files
    title = _e(episode.section.title)
    formats = [("web_page", files.html, "text/html"), ("plain_text", files.txt, "text/plain"),
               ("srt", files.srt, "application/x-subrip"), ("vtt", files.vtt, "text/vtt")]
    transcripts = "\n".join(
        f'<li><a href="{_e(href)}" type="{kind}">{_t(lang, label)}{_hidden(_t(lang, "transcript_of", title=title))}'
        "</a></li>" for label, href, kind in formats)
    return "\n".join([
        '<div class="downloads">',
        f'<h3 id="{_e(episode.section.id)}_downloads">{_t(lang, "download")}</h3>',
        '<div class="download-groups">',
        '<div>',
        f'<p class="links-label">{_t(lang, "audio_to_keep")}</p>',
        '<ul class="links" role="list">',
        f'<li><a href="{_e(files.audio)}" type="audio/mpeg" download>{_t(lang, "mp3_audio")}'
        f'{_hidden(_t(lang, "of_title", title=title))} '
        f'<span class="detail">({_duration(episode.duration_ms)}, {_size(episode.size)})</span></a></li>',
        "</ul>",
        "</div>",
        '<div>',
        f'<p class="links-label">{_t(lang, "transcript_to_read")}</p>',
        f'<ul class="links" role="list">\n{transcripts}\n</ul>',
        "</div>",
        "</div>",
        "</div>",
    ])


def _line(episode: Episode, line: Line, text: str) -> str:
    return (f'<a class="line" href="{_e(episode.files.audio)}#t={_seconds(line.start)}" '
            f'data-start="{line.start}" data-end="{line.end}">{_e(text)}</a>')


def _transcript(episode: Episode, lang: str = "en") -> str:
    sid = episode.section.id
    # The speech adds a full stop after a heading; on the page the heading reads as the guide wrote it.
    titles = iter([chapter.title for chapter in episode.section.chapters if chapter.title is not None])
    body: list[str] = []
    in_list = False
    for role, group in paragraphs(episode.lines):
        if (role == "item") != in_list:
            body.append("<ul>" if role == "item" else "</ul>")
            in_list = role == "item"
        if role == "heading":
            line = group[0]
            body.append(f'<h4 dir="auto">{_line(episode, line, next(titles, line.text))}</h4>')
            continue
        spans = " ".join(_line(episode, line, line.text) for line in group)
        if role == "item":
            body.append(f'<li dir="auto">{spans}</li>')
        else:
            css = ' class="announcement"' if role == "announcement" else ""
            body.append(f'<p{css} dir="auto">{spans}</p>')
    if in_list:
        body.append("</ul>")
    return "\n".join([
        '<div class="transcript">',
        f'<h3 id="{_e(sid)}_words">{_t(lang, "read_along")}</h3>',
        f'<p class="hint needs-js">{_t(lang, "hint_js")}</p>',
        f'<p class="hint no-js">{_t(lang, "hint_no_js")}</p>',
        '<div class="lines">',
        *body,
        "</div>",
        "</div>",
    ])


def _whole_guide(edition: Edition) -> str:
    full = edition.full
    lang = edition.guide.language
    sections = _plural(len(edition.episodes), "section", lang)
    items = [f'<li><a href="{_e(full.audio)}" type="audio/mpeg" download>{_t(lang, "whole_mp3")} '
             f'<span class="detail">({_duration(full.duration_ms)}, {_size(full.size)})</span></a></li>']
    if full.audiobook:
        items.append(f'<li><a href="{_e(full.audiobook)}" type="audio/mp4" download>{_t(lang, "audiobook")} '
                     f'<span class="detail">(M4B, {_duration(full.duration_ms)})</span></a></li>')
    items.append(f'<li><a href="{HANDOUT_FILE}" type="application/pdf">{_t(lang, "handout")} '
                 f'<span class="detail">{_t(lang, "handout_detail")}</span></a></li>')
    return "\n".join([
        '<section class="panel" aria-labelledby="page_whole_title">',
        f'<h2 id="page_whole_title">{_t(lang, "whole_title")}</h2>',
        f"<p>{_t(lang, 'whole_text', sections=sections)} {_t(lang, 'whole_audiobook')}</p>" if full.audiobook else
        f"<p>{_t(lang, 'whole_text', sections=sections)}</p>",
        '<ul class="links" role="list">',
        *items,
        "</ul>",
        "</section>",
    ])


def _subscribe(edition: Edition) -> str:
    feed_url = edition.feed_url
    lang = edition.guide.language
    apps = "\n".join(f'<li><a href="{_e(link)}">{_e(app)}</a></li>' for app, link in app_links(feed_url))
    local = urlsplit(feed_url).hostname in LOCAL_HOSTS
    note = f'<p class="note">{_t(lang, "local_note")}</p>' if local else ""
    return "\n".join([
        '<section class="panel" aria-labelledby="page_subscribe_title">',
        f'<h2 id="page_subscribe_title">{_t(lang, "subscribe_title")}</h2>',
        f"<p>{_t(lang, 'subscribe_text')}</p>",
        note,
        f'<h3 id="page_apps_title">{_t(lang, "open_in_app")}</h3>',
        f'<ul class="links" role="list" aria-labelledby="page_apps_title">\n{apps}\n</ul>',
        f'<h3 id="page_address_title">{_t(lang, "by_address")}</h3>',
        f"<p>{_t(lang, 'paste')}</p>",
        # Shown whole and wrapped (an input would cut a long address off on a phone); one tap selects it all.
        f'<p class="feed-address">{_t(lang, "feed_address")} '
        f'<code id="page_feed_url" dir="ltr">{_e(feed_url)}</code></p>',
        '<p class="copy-row needs-js"><button type="button" class="copy" aria-describedby="page_copy_status">'
        f"{_t(lang, 'copy')}</button></p>",
        '<p id="page_copy_status" class="copy-status" role="status"></p>',
        f'<p><a href="{FEED_FILE}" type="application/rss+xml">{_t(lang, "rss")}</a> {_t(lang, "rss_detail")}</p>',
        "</section>",
    ])


def _footer(edition: Edition) -> str:
    guide, site = edition.guide, edition.site
    lang = guide.language
    lines = [f"<p>{_t(lang, 'read_by_computer')}</p>"]
    dates = []
    if guide.published:
        dates.append(_t(lang, "published", date=_date(guide.published, lang)))
    if guide.updated:
        dates.append(_t(lang, "updated", date=_date(guide.updated, lang)))
    if dates:
        lines.append(f"<p>{', '.join(dates)}.</p>")
    if guide.copyright:
        lines.append(f'<p dir="auto">{_e(guide.copyright)}</p>')
    if guide.license:
        lines.append(f'<p>{_t(lang, "license")} <span dir="auto">{_e(guide.license)}</span></p>')
    if site.clinic_name or site.contact:
        who = [_t(lang, "shared_by", clinic=_e(site.clinic_name))] if site.clinic_name else []
        lines.append(f'<p dir="auto">{" ".join(who + ([_e(site.contact)] if site.contact else []))}</p>')
    return "\n".join(['<footer class="page-footer">', '<div class="wrap">', *lines, "</div>", "</footer>"])


# The catalog --------------------------------------------------------------


def render_catalog(editions: Sequence[Edition]) -> str:
    """A page listing every guide, to be written to ``index.html`` in the
    output folder when it holds several guides."""
    languages = {edition.guide.language for edition in editions}
    # One language for all: it is the page's. Several: each guide's entry says its own.
    lang = languages.pop() if len(languages) == 1 else "en"
    clinics = {edition.site.clinic_name for edition in editions}
    clinic = clinics.pop() if len(clinics) == 1 else None
    heading = f"Audio guides from {clinic}" if clinic else "Audio guides"
    contact = next((edition.site.contact for edition in editions if edition.site.contact), None) if clinic else None
    entries = "\n".join(_catalog_entry(edition, lang) for edition in editions)
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}" dir="{_direction(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{_e(heading)}</title>",
        '<link rel="icon" href="data:,">',  # no icon of its own: do not ask for /favicon.ico
        f"<style>\n{_asset('page.css')}\n</style>",
        "</head>",
        "<body>",
        '<a class="skip-link" href="#page_main">Skip to the guides</a>',
        '<header class="page-header">',
        '<div class="wrap">',
        f'<h1 dir="auto">{_e(heading)}</h1>',
        f'<p class="clinic"><span class="clinic-contact">{_e(contact)}</span></p>' if contact else "",
        "<p>Each guide is read aloud, with its words to read along. Listen here, download it, or follow it in "
        "a podcast app.</p>",
        "</div>",
        "</header>",
        '<main id="page_main" tabindex="-1">',
        '<div class="wrap">',
        f'<ul class="catalog" role="list">\n{entries}\n</ul>',
        f'<p class="opml"><a href="{OPML_FILE}" type="text/x-opml">All the podcast feeds in one file (OPML)</a>, '
        "for podcast apps that import a list.</p>",
        "</div>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


def _catalog_entry(edition: Edition, page_lang: str) -> str:
    guide = edition.guide
    href = quote(guide.slug) + "/"
    lang = f' lang="{_e(guide.language)}"' if guide.language != page_lang else ""
    subtitle = f'<p class="subtitle" dir="auto">{_e(guide.subtitle)}</p>' if guide.subtitle else ""
    description = f'<p dir="auto">{_e(guide.description)}</p>' if guide.description else ""
    facts = _t(guide.language, "catalog_facts", sections=_plural(len(edition.episodes), "section", guide.language),
               length=_duration(edition.full.duration_ms))
    return "\n".join([
        f'<li class="catalog-entry"{lang}>',
        f'<img class="cover" src="{_e(href + edition.cover)}" alt="" width="3000" height="3000" decoding="async">',
        '<div class="catalog-text">',
        f'<h2 dir="auto"><a href="{_e(href)}">{_e(guide.title)}</a></h2>',
        subtitle,
        description,
        f'<p class="facts">{facts}</p>',
        "</div>",
        "</li>",
    ])
