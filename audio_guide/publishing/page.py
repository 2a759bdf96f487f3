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

The markup is in templates/ (page.html, catalog.html), which escape every
value they print (markup.py): nothing the guide wrote can become markup, and
the script reads titles from escaped data attributes, never from text pasted
into code. The output depends only on the edition (no clock), so a rebuild
of the same edition writes the same bytes.
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import quote, urlsplit

from .. import durations
from .. import phrases as strings
from ..layout import FEED_FILE, HANDOUT_FILE, OPML_FILE
from ..model import Edition
from . import markup, transcripts

SPEEDS = ("0.75", "1", "1.25", "1.5", "1.75", "2")  # the select's values, as the script writes them back
SKIP_BACK_S = 15
SKIP_FORWARD_S = 30
# Addresses that only work on the computer that built the edition (builder.LOCAL_BASE_URL).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# Formatting ---------------------------------------------------------------


def _size(size: int) -> str:
    """Bytes as people on a metered phone plan read them."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _seconds(ms: int) -> str:
    """A media fragment time (#t=) in seconds, without needless zeros."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


# Subscribing --------------------------------------------------------------


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
    """The listening page for one guide (templates/page.html), to be written
    to ``<guide>/index.html``."""
    guide = edition.guide
    lang = guide.language
    return markup.render(
        "page.html", **common(lang), style=markup.asset("page.css"), script=markup.asset("page.js"),
        edition=edition, guide=guide, site=edition.site, logo=edition.logo,
        page_title=f"{guide.title}: {guide.subtitle}" if guide.subtitle else guide.title,
        summary=guide.description or guide.subtitle or guide.title, album=guide.subtitle or guide.title,
        script_words=_script_words(lang), sections=strings.count(lang, len(edition.episodes)),
        runs=[transcripts.runs(transcripts.as_written(episode)) for episode in edition.episodes],
        apps=app_links(edition.feed_url), local=urlsplit(edition.feed_url).hostname in LOCAL_HOSTS,
        speeds=SPEEDS, skip_back=SKIP_BACK_S, skip_forward=SKIP_FORWARD_S, feed_file=FEED_FILE,
        handout_file=HANDOUT_FILE, size=_size, fragment=_seconds)


def common(lang: str) -> dict:
    """What every page's template needs: its language and how to write times."""
    return dict(lang=lang, direction=strings.direction(lang), say=markup.phrases(lang),
                month=lambda number: strings.month(lang, number), clock=durations.clock, iso8601=durations.iso8601)


# What page.js writes itself, as data-words-<key> (English is its own default).
_SCRIPT_WORDS = ("play", "pause", "now-playing", "audio-error", "copied", "copy-failed")


def _script_words(lang: str) -> list[tuple[str, str]]:
    if lang.split("-")[0].lower() == strings.ENGLISH:
        return []
    words = strings.table(lang)
    return [(key, words["js_" + key.replace("-", "_")]) for key in _SCRIPT_WORDS]


# The catalog --------------------------------------------------------------


def render_catalog(editions: Sequence[Edition]) -> str:
    """A page listing every guide (templates/catalog.html), to be written to
    ``index.html`` in the output folder when it holds several guides."""
    # One language for all: it is the page's. Several: each guide's entry says its own.
    lang = strings.shared_language(edition.guide.language for edition in editions)
    clinics = {edition.site.clinic_name for edition in editions}
    clinic = clinics.pop() if len(clinics) == 1 else None
    contact = next((edition.site.contact for edition in editions if edition.site.contact), None) if clinic else None
    return markup.render(
        "catalog.html", **common(lang), style=markup.asset("page.css"), editions=editions, clinic=clinic,
        contact=contact, phrases=markup.phrases, count=strings.count, direction_of=strings.direction,
        slug_href=lambda slug: quote(slug) + "/",
        opml_file=OPML_FILE)
