"""The feed by the W3C feed validator's rules, for every element we write.

The validator (w3c/feedvalidator) is on no package registry, so CI cannot run
it; its rules for what the feed holds are written out here from its source
(validators.py, itunes.py, item.py, channel.py, image.py), each a warning or
an error it would report. Run on the edition built from content/ with a
clinic and an owner's address, and on the golden feeds, whose titles carry
&, < and quotes. The psc namespace, which the validator does not know, is
the one warning it gives these feeds, and is not checked here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from email.utils import getaddresses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_guide.errors import ContentError
from audio_guide.model import Site
from audio_guide.publishing.feed import NS, rss
from audio_guide.reading.settings import owner_email

from .conftest import ROOT

# validators.py, addr_spec: what itunes:email must match to be no error
# (InvalidContact) and to need no DNS look-up (UnknownHost, a warning).
_DOMAIN = r'''(([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([A-Z0-9\-]+\.)+))([A-Z0-9][-A-Z0-9]*)'''
ADDR_SPEC = re.compile("([A-Z0-9_\\-\\+\\.\'\\!\\#\\$\\%\\&\\*\\/\\=\\?\\^_`\\{\\|\\}~]+)@" + _DOMAIN + "$", re.I)
# validators.py: rfc2822 dates, itunes:duration, MIME types; itunes.py: the
# values allowed; item.py: the formats Apple plays.
RFC2822 = re.compile(r"(((Mon)|(Tue)|(Wed)|(Thu)|(Fri)|(Sat)|(Sun)), )?\d\d? ((Jan)|(Feb)|(Mar)|(Apr)|(May)|(Jun)|"
                     r"(Jul)|(Aug)|(Sep)|(Oct)|(Nov)|(Dec)) \d\d\d\d \d\d:\d\d(:\d\d)? (([+-]?\d\d[03]0)|(UT)|(GMT)|"
                     r"(EST)|(EDT)|(CST)|(CDT)|(MST)|(MDT)|(PST)|(PDT)|Z)$")
DURATION = re.compile(r"\d+(:[0-5][0-9](:[0-5][0-9])?)?$")
MIME = re.compile('[^\\s()<>,;:\\"/[\\]?=]+/[^\\s()<>,;:\\"/[\\]?=]+(\\s*;\\s*[^\\s()<>,;:\\"/[\\]?=]+=("(\\"|'
                  '[^"])*"|[^\\s()<>,;:\\"/[\\]?=]+))*$')
HEALTH = {"Health & Fitness": ["Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition",
                               "Sexuality"]}  # the validator's current categories, the one we publish in
ITUNES_FORMATS = ("m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub")
# validators.py, nonhtml: plain text that looks like markup (an entity, a
# character reference or a tag) is a warning unless the publisher wrote
# hexadecimal references, the RSS Profile's way of saying "this is text",
# and the validator looks for them on the element's first line only.
LOOKS_LIKE_MARKUP = re.compile(r"&#?\w+|&#[x0-9]|<[/a-zA-Z]")
HTML_END_TAG = re.compile(r"</(\w+)>")
LIMITS = {"itunes:author": 255, "itunes:subtitle": 255, "itunes:summary": 4000, "itunes:name": 255}
# The plain-text elements it checks so (an item's description is HTML, and
# it takes itunes:title as any text).
PLAIN = ("title", "description", "copyright", "itunes:author", "itunes:subtitle", "itunes:summary", "itunes:name")
OWNER_SITE = Site("Northfield Clinic", "Call 0123 456 789", email="podcasts+audio@northfield-clinic.example")


def q(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{NS[prefix]}}}{local}" if prefix else local


def validator_problems(data: bytes, feed_url: str) -> list[str]:
    """What the validator would report, by its rules, for the elements we write."""
    problems = []
    text = data.decode()
    channel = ET.fromstring(data).find("channel")

    def one(parent, name) -> ET.Element | None:
        found = parent.findall(q(name))
        if len(found) != 1:
            problems.append(f"{len(found)} {name} in {parent.tag}")
        return found[0] if found else None

    for name in ("title", "link", "description", "language", "itunes:category", "itunes:explicit", "itunes:owner"):
        one(channel, name)  # required by RSS 2.0, or recommended by the validator's iTunes rules
    owner = channel.find(q("itunes:owner"))
    if owner is not None:
        address = one(owner, "itunes:email")
        if address is not None:
            value = getaddresses([address.text])[0][1]
            if not ADDR_SPEC.match(value):
                problems.append(f"itunes:email {address.text!r} is not an addr-spec")
        one(owner, "itunes:name")
    for name in PLAIN:
        elements = list(channel.iter(q(name)))
        # As written, in the same order: the validator looks at the lines.
        written = re.findall(re.escape(f"<{name}>") + "(.*?)" + re.escape(f"</{name}>"), text, re.S)
        assert len(written) == len(elements), name
        if name == "description":  # an item's description is HTML, the channel's plain text
            elements, written = elements[:1], written[:1]
        for element, raw in zip(elements, written):
            value = element.text or ""
            if len(value) > LIMITS.get(name, len(value)):
                problems.append(f"{name} is longer than {LIMITS[name]}")
            if HTML_END_TAG.search(value):
                problems.append(f"{name} holds HTML: {value!r}")
            if LOOKS_LIKE_MARKUP.search(value) and "&#x" not in raw.split("\n")[0]:
                problems.append(f"{name} holds markup-like text without hexadecimal references: {value!r}")
    category = one(channel, "itunes:category")
    if category is not None:
        subcategories = [c.get("text") for c in category.findall(q("itunes:category"))]
        if category.get("text") not in HEALTH or not set(subcategories) <= set(HEALTH[category.get("text")]):
            problems.append(f"itunes:category {category.get('text')!r} / {subcategories} is not Apple's")
    if channel.findtext(q("itunes:type")) not in ("episodic", "serial"):
        problems.append("itunes:type")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", channel.findtext("language") or ""):
        problems.append("language")
    selves = [link for link in channel.findall(q("atom:link")) if link.get("rel") == "self"]
    if [(link.get("href"), link.get("type")) for link in selves] != [(feed_url, "application/rss+xml")]:
        problems.append(f"atom:link rel=self: {[link.attrib for link in selves]}")
    image = one(channel, "image")
    if image is not None:
        for name in ("url", "title", "link"):
            one(image, name)
        if image.findtext("title") != channel.findtext("title") or image.findtext("link") != channel.findtext("link"):
            problems.append("the image's title and link are not the channel's")
    if not (channel.find(q("itunes:image")).get("href") or "").startswith(("http://", "https://")):
        problems.append("itunes:image")
    dates = [channel.findtext("lastBuildDate")] + [item.findtext("pubDate") for item in channel.iter("item")]
    for date in dates:
        if not RFC2822.match(date or "") or email.utils.parsedate_to_datetime(date).strftime("%a") != date[:3] or \
                email.utils.parsedate_to_datetime(date) < dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc):
            problems.append(f"date {date!r}")
    guids = []
    for item in channel.iter("item"):
        for name in ("title", "enclosure", "guid", "itunes:duration", "itunes:episode", "itunes:explicit"):
            one(item, name)
        enclosure, guid = item.find("enclosure"), item.find("guid")
        if not (enclosure.get("length") or "").isdigit() or not MIME.match(enclosure.get("type") or "") or \
                enclosure.get("url", "").rsplit(".", 1)[-1] not in ITUNES_FORMATS:
            problems.append(f"enclosure {enclosure.attrib}")
        if guid.get("isPermaLink") != "false" or (len(guid.text) < 9 and guid.text.isdigit()):
            problems.append(f"guid {guid.text!r}")
        guids.append(guid.text)
        if not DURATION.match(item.findtext(q("itunes:duration")) or ""):
            problems.append("itunes:duration")
        if not (item.findtext(q("itunes:episode")) or "").isdigit() or int(item.findtext(q("itunes:episode"))) < 1:
            problems.append("itunes:episode")
        if item.findtext(q("itunes:episodeType")) not in ("full", "trailer", "bonus"):
            problems.append("itunes:episodeType")
    for explicit in channel.iter(q("itunes:explicit")):
        if explicit.text.lower() not in ("true", "false"):
            problems.append(f"itunes:explicit {explicit.text!r}")
    if len(set(guids)) != len(guids):
        problems.append("two items share a guid")
    return problems


def test_the_built_feed_with_an_owner_keeps_every_rule(edition):
    result, _ = edition
    ed = dataclasses.replace(result.editions[0], site=OWNER_SITE)
    assert validator_problems(rss(ed), ed.feed_url) == []


@pytest.mark.parametrize("slug", ["rest-and-recovery", "rest-and-recovery-es"])
def test_the_golden_feeds_keep_every_rule(slug):
    data = (ROOT / "tests" / "golden" / slug / "feed.xml").read_bytes()
    assert validator_problems(data, f"https://clinic.example/audio/{slug}/feed.xml") == []


def test_the_rules_find_what_the_validator_finds(edition):
    """The rules above are not empty: each feed fault the validator reported
    (or would) is found."""
    result, _ = edition
    ed = result.editions[0]
    data = rss(dataclasses.replace(ed, site=OWNER_SITE))
    url = ed.feed_url
    assert validator_problems(rss(ed), url) == ["0 itunes:owner in channel"]  # no address: no owner
    faults = {
        "no addr-spec": data.replace(b"podcasts+audio@northfield-clinic.example", b"podcasts at northfield"),
        "an old category": data.replace(b'text="Mental Health"', b'text="Self-Help"'),
        "explicit no": data.replace(b"<itunes:explicit>false", b"<itunes:explicit>no"),
        "a date's zone": data.replace(b" +0000</pubDate>", b" GMT+1</pubDate>"),
        "a negative length": data.replace(b'length="', b'length="-'),
        "another self": data.replace(b'atom:link href="' + url.encode(), b'atom:link href="https://x.example/f.xml'),
    }
    for fault, wrong in faults.items():
        assert wrong != data and validator_problems(wrong, url), fault
    golden = (ROOT / "tests" / "golden" / "rest-and-recovery" / "feed.xml").read_bytes()
    named = golden.replace(b"&#x26;", b"&amp;").replace(b"&#x3C;", b"&lt;").replace(b"&#x3E;", b"&gt;")
    # The elements the validator itself named for this feed: the channel's
    # title, description, copyright, author, owner's name and summary, the
    # image's title and the first item's title.
    assert len(validator_problems(named, "https://clinic.example/audio/rest-and-recovery/feed.xml")) == 8


ACCEPTED = ["podcasts@clinic.example", "first.last+audio@mail.clinic.example", "o'brien@clinic.example",
            "x@clinic-1.example", "  podcasts@clinic.example  "]
REFUSED = ["Riverside <podcasts@clinic.example>", "mailto:podcasts@clinic.example", "a@clinic.example, b@x.example",
           "podcasts@clinic", "podcasts@@clinic.example", ".podcasts@clinic.example", "pod..casts@clinic.example",
           "podcasts.@clinic.example", "podcasts@-clinic.example", "podcasts@clinic..example",
           "pod casts@clinic.example",
           "jörg@klinik.example", "podcasts@klinik-ü.example", "podcasts@clinic.example.", "@clinic.example",
           "a" * 250 + "@clinic.example"]


@pytest.mark.parametrize("address", ACCEPTED)
def test_an_address_is_taken_as_written(address):
    assert owner_email(address) == address.strip()


@pytest.mark.parametrize("address", REFUSED)
def test_what_is_not_one_address_is_refused(address):
    with pytest.raises(ContentError, match="is not one address podcast directories can write to"):
        owner_email(address)


@given(st.one_of(st.emails(), st.text(max_size=40)))
def test_every_address_taken_is_one_the_validator_accepts(address):
    try:
        taken = owner_email(address)
    except ContentError:
        return
    assert taken is None or (ADDR_SPEC.match(taken) and getaddresses([taken]) == [("", taken)])
