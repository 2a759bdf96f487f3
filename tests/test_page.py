"""The listening page and the catalog, judged the way listeners meet them: in
a real browser (Debian's Chromium driven by Playwright), with the mouse, with
the keyboard alone, without JavaScript, on a phone, and by axe-core against
WCAG 2.2 AA. The markup itself (escaping, links, determinism) is checked
without a browser.

Set-up (tests/install-tools.sh): apt-get install chromium; pip install
playwright (never 'playwright install': the tests use the system Chromium);
npm install --no-save --prefix <project> axe-core@4 (or point AXE_CORE_JS at
an axe.min.js). Without them the browser tests skip, or fail when CI is set.
"""

from __future__ import annotations

import contextlib

import dataclasses
import html
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from audio_guide import BuildOptions, build
from audio_guide.model import Site
from audio_guide.publishing.page import SKIP_BACK_S, SKIP_FORWARD_S, app_links, render_catalog, render_page
from audio_guide.serve import make_server

from .conftest import CONTENT, ROOT

BASE = "https://clinic.example/audio"
SLUG = "journey-through-healing"
SECOND = "second-guide"
STEPS = "steps-towards-healing"  # the section with parts (chapters)
SITE = Site(clinic_name="Riverside Clinic", contact="Questions? Call 0123 456 789, weekdays 9 to 5")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(os.environ.get("AXE_CORE_JS") or ROOT / "node_modules" / "axe-core" / "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]  # so that tests may call play()
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SPECIAL = "Rest & Recovery <Care> \"Quotes\" 'single' 🌱 שלום"


def missing(what: str, install: str):
    """Skip on a developer machine, fail in CI (as conftest.require_tool does)."""
    message = f"{what} is not installed: {install} (or run 'bash tests/install-tools.sh')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# The edition, its pages and a server ---------------------------------------


@dataclasses.dataclass
class Built:
    out: Path
    folder: Path
    edition: object
    second: object


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The real guide built once, with its page, a second copy under another
    slug, and the catalog of both."""
    work = tmp_path_factory.mktemp("page")
    shutil.copytree(CONTENT, work / "content")
    result = build(BuildOptions(content_dir=work / "content", out_dir=work / "out", cache_dir=work / "cache",
                                base_url=BASE, jobs=2, formats=frozenset({"m4b", "epub"})))
    edition = dataclasses.replace(result.editions[0], site=SITE)
    folder = result.folder(edition)
    (folder / "index.html").write_text(render_page(edition), encoding="utf-8")
    second = dataclasses.replace(edition, base_url=f"{BASE}/{SECOND}/", guide=dataclasses.replace(
        edition.guide, slug=SECOND, title="A Second Guide & More", subtitle=None,
        description="The same words, published again to test the catalog."))
    shutil.copytree(folder, work / "out" / SECOND)
    (work / "out" / SECOND / "index.html").write_text(render_page(second), encoding="utf-8")
    (work / "out" / "index.html").write_text(render_catalog([edition, second]), encoding="utf-8")
    return Built(work / "out", folder, edition, second)


@pytest.fixture(scope="module")
def server(built):
    httpd = make_server(built.out, port=0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@contextlib.contextmanager
def chromium_browser():
    """The system's Chromium, driven by Playwright (a missing one skips, or fails in CI)."""
    if not Path(CHROMIUM).is_file():
        missing("Chromium", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "pip install playwright (the tests use the system Chromium: no 'playwright install')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


class Pages:
    """Opens pages in fresh contexts and remembers what went wrong in them."""

    def __init__(self, browser, base: str):
        self.browser, self.base, self.contexts, self.errors = browser, base, [], []

    def open(self, path: str = f"{SLUG}/", viewport=DESKTOP, **context_options):
        context = self.browser.new_context(viewport=viewport, **context_options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{path}: {error}"))
        page.on("console", lambda message: self.errors.append(f"{path}: {message.text}")
                if message.type == "error" else None)
        page.goto(self.base + path)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@contextlib.contextmanager
def browsing(folder: Path):
    """``folder`` served on loopback and a Chromium to open its pages in, for
    the tests of other editions (the Spanish, Arabic and Hebrew pages); the
    pages' errors fail the test."""
    httpd = make_server(folder, port=0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with chromium_browser() as chromium:
            opened = Pages(chromium, f"http://127.0.0.1:{httpd.server_port}/")
            yield opened
            opened.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not opened.errors, "errors in the page:\n" + "\n".join(opened.errors)


@pytest.fixture
def pages(browser, server):
    opened = Pages(browser, server)
    yield opened
    opened.close()
    assert not opened.errors, "errors in the page:\n" + "\n".join(opened.errors)


def section(page, sid: str = STEPS):
    return page.locator(f"section#{sid}")


def player_state(page, sid: str = STEPS) -> dict:
    return page.evaluate("""(sid) => {
        const audio = document.querySelector(`section#${sid} audio`);
        return {paused: audio.paused, time: audio.currentTime, rate: audio.playbackRate};
    }""", sid)


def highlight(page, sid: str = STEPS) -> dict:
    """Which sentence is marked, and which one the player is at: the last
    whose data-start <= the position (in whole ms)."""
    return page.evaluate("""(sid) => {
        const root = document.querySelector(`section#${sid}`);
        const at = Math.round(root.querySelector('audio').currentTime * 1000);
        const lines = [...root.querySelectorAll('.line')];
        const marked = [...root.querySelectorAll('[aria-current="true"].line')];
        let expected = -1;
        lines.forEach((line, i) => { if (Number(line.dataset.start) <= at) expected = i; });
        return {at, expected, marked: marked.map(line => lines.indexOf(line))};
    }""", sid)


def wait_playing(page, sid: str = STEPS, after: float = 0.0):
    page.wait_for_function("""([sid, after]) => {
        const audio = document.querySelector(`section#${sid} audio`);
        return !audio.paused && audio.currentTime > after;
    }""", arg=[sid, after], timeout=15000)


def pause_and_seek(page, seconds: float, sid: str = STEPS):
    """Pause at ``seconds`` (loading the file first: a player with
    preload="none" and nothing loaded does not seek until it has data)."""
    page.evaluate("""async ([sid, seconds]) => {
        const audio = document.querySelector(`section#${sid} audio`);
        const within = (promise, what) => Promise.race([promise, new Promise((_, fail) =>
            setTimeout(() => fail(new Error(`${what} took more than 10 s`)), 10000))]);
        if (audio.readyState < 1) await within(audio.play(), 'loading the audio');
        audio.pause();
        const seeked = new Promise(done => audio.addEventListener('seeked', done, {once: true}));
        audio.currentTime = seconds;
        await within(seeked, 'seeking');
        await new Promise(done => setTimeout(done, 50));
    }""", [sid, seconds])


def focus_ring(page) -> dict:
    return page.evaluate("""() => {
        const element = document.activeElement, style = getComputedStyle(element);
        return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), tag: element.tagName,
                text: element.textContent.trim().slice(0, 60)};
    }""")


def tab_to(page, selector: str, limit: int = 250, backwards: bool = False) -> list[dict]:
    """Press Tab until ``selector`` has the focus; the focus rings seen on the way."""
    seen = []
    for _ in range(limit):
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return seen
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        seen.append(focus_ring(page))
    raise AssertionError(f"Tab never reached {selector}; last focused: {seen[-3:]}")


def screenshot(page, name: str, full_page: bool = True) -> None:
    """Save tests/artifacts/<name>.png once the images are decoded (they decode asynchronously)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("Promise.all([...document.images].map(image => image.decode().catch(() => null)))")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def axe(page) -> list[dict]:
    if not AXE_JS.is_file():
        missing("axe-core", f"npm install --no-save --prefix {ROOT} axe-core@4, or set AXE_CORE_JS to axe.min.js")
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                         resultTypes: ['violations']})
                                 .then(result => result.violations)""", AXE_TAGS)


def explain(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " +
                     "\n    ".join(f"{n['target']}: {n['failureSummary']}" for n in v["nodes"][:5])
                     for v in violations)


# The markup, without a browser ---------------------------------------------


def test_markup_is_deterministic_relative_and_never_autoplays(built):
    edition = built.edition
    page = render_page(edition)
    assert page == render_page(edition)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en" dir="ltr">' in page
    assert page.count("<h1") == 1 and "autoplay" not in page
    assert page.count('<audio controls preload="none"') == len(edition.episodes)
    for episode in edition.episodes:
        assert f'id="{episode.section.id}"' in page
        assert f'src="{episode.files.audio}"' in page
        for line in episode.lines:
            assert f'data-start="{line.start}" data-end="{line.end}"' in page
    apps = {html.escape(link) for _, link in app_links(edition.feed_url)}
    for link in re.findall(r'(?:href|src)="([^"]*)"', page):
        assert link in apps or not urlsplit(html.unescape(link)).scheme and not link.startswith("/"), link
    assert f'<code id="page_feed_url" dir="ltr">{edition.feed_url}</code>' in page
    assert dict(app_links(edition.feed_url)) == {
        "Apple Podcasts": "podcasts://clinic.example/audio/journey-through-healing/feed.xml",
        "Pocket Casts": "pktc://subscribe/clinic.example/audio/journey-through-healing/feed.xml",
        "Overcast": "overcast://x-callback-url/add?url="
                    "https%3A%2F%2Fclinic.example%2Faudio%2Fjourney-through-healing%2Ffeed.xml",
        "AntennaPod": "antennapod-subscribe://clinic.example/audio/journey-through-healing/feed.xml",
    }


def test_everything_the_guide_wrote_is_escaped(built):
    edition = built.edition
    first = edition.episodes[0]
    hostile = "<script>alert('x')</script> & \"quoted\" 🌱 שלום"
    line = dataclasses.replace(first.lines[1], text=hostile)
    episode = dataclasses.replace(first, section=dataclasses.replace(first.section, title=SPECIAL),
                                  lines=(first.lines[0], line, *first.lines[2:]))
    special = dataclasses.replace(
        edition, episodes=(episode, *edition.episodes[1:]),
        site=Site(clinic_name="Dr. <Smith> & Partners", contact="\"Call\" 'us'", logo="/srv/secret/logo.png"),
        guide=dataclasses.replace(edition.guide, title=SPECIAL, subtitle=hostile, description=hostile,
                                  license="CC BY 4.0 <x>"))
    for page in (render_page(special), render_catalog([special])):
        assert "<script>alert" not in page and "<Care>" not in page and "<Smith>" not in page
        assert html.escape(SPECIAL) in page and "🌱 שלום" in page
    page = render_page(special)
    assert html.escape(hostile) in page and "&lt;Smith&gt;" in page and "CC BY 4.0 &lt;x&gt;" in page
    assert "/srv/secret" not in page  # where the clinic keeps its logo is never linked
    branded = render_page(dataclasses.replace(special, site=Site(clinic_name="Clinic", logo="/srv/secret/logo.png"),
                                              logo="logo.png"))  # the logo as published beside the page
    assert '<img class="logo" src="logo.png" alt=""' in branded
    hebrew = render_page(dataclasses.replace(edition, guide=dataclasses.replace(edition.guide, language="he")))
    assert '<html lang="he" dir="rtl">' in hebrew


# In the browser --------------------------------------------------------------


def test_nothing_plays_or_downloads_on_load(pages):
    page = pages.open()
    page.wait_for_timeout(500)
    state = page.evaluate("""() => [...document.querySelectorAll('audio')].map(audio => ({
        paused: audio.paused, time: audio.currentTime, autoplay: audio.autoplay, preload: audio.preload,
        network: audio.networkState}))""")
    assert len(state) == 6
    for audio in state:
        assert audio["paused"] and audio["time"] == 0 and not audio["autoplay"] and audio["preload"] == "none"
        assert audio["network"] != 2  # NETWORK_LOADING: nothing fetched on a metered phone


def test_play_speed_parts_and_the_sentence_follows(pages, built):
    page = pages.open()
    steps = section(page)
    steps.locator("button.play").click()
    wait_playing(page, after=0.3)
    assert steps.locator("button.play").inner_text().strip().startswith("Pause")

    steps.locator("select.speed").select_option("1.5")
    assert player_state(page)["rate"] == 1.5
    # One speed for every section, and kept for the next one played.
    assert page.evaluate("[...document.querySelectorAll('audio')].every(a => a.defaultPlaybackRate === 1.5)")

    episode = next(e for e in built.edition.episodes if e.section.id == STEPS)
    mark = episode.chapters[3]
    steps.locator(".part").nth(3).click()
    page.wait_for_function("([sid, t]) => document.querySelector(`section#${sid} audio`).currentTime >= t",
                           arg=[STEPS, mark.start / 1000])
    state = player_state(page)
    assert not state["paused"] and mark.start / 1000 <= state["time"] < mark.start / 1000 + 1.5
    assert steps.locator('.part[aria-current="true"]').inner_text().startswith(mark.title)

    # Paused at a time in the middle of a sentence: that sentence is marked, and only it.
    line = episode.lines[8]
    assert line.role == "paragraph"
    pause_and_seek(page, (line.start + line.end) / 2000)
    marked = highlight(page)
    assert marked["marked"] == [marked["expected"]] == [8]
    assert steps.locator('.line[aria-current="true"]').inner_text() == line.text
    assert page.evaluate("(sid) => getComputedStyle(document.querySelector(`section#${sid} .line[aria-current]`))"
                         ".textDecorationLine", STEPS) == "underline"  # not colour alone

    # Playing on from just before the next sentence: the mark moves on with the voice.
    pause_and_seek(page, episode.lines[9].start / 1000 - 0.4)
    page.evaluate("(sid) => document.querySelector(`section#${sid} audio`).play()", STEPS)
    page.wait_for_function("""(sid) => {
        const root = document.querySelector(`section#${sid}`);
        const lines = [...root.querySelectorAll('.line')];
        return lines.indexOf(root.querySelector('.line[aria-current="true"]')) === 9;
    }""", arg=STEPS, timeout=5000)
    page.evaluate("(sid) => document.querySelector(`section#${sid} audio`).pause()", STEPS)
    marked = highlight(page)
    assert marked["marked"] == [marked["expected"]]

    # A sentence plays from its start when selected.
    target = episode.lines[12]
    steps.locator(".line").nth(12).click()
    wait_playing(page, after=target.start / 1000)
    assert target.start / 1000 <= player_state(page)["time"] < target.start / 1000 + 1.5

    before = player_state(page)["time"]
    steps.locator(f'button[data-skip="-{SKIP_BACK_S}"]').click()
    assert player_state(page)["time"] == pytest.approx(before - SKIP_BACK_S, abs=1.5)
    before = player_state(page)["time"]
    steps.locator(f'button[data-skip="{SKIP_FORWARD_S}"]').click()
    assert player_state(page)["time"] == pytest.approx(min(before + SKIP_FORWARD_S, episode.duration_ms / 1000),
                                                       abs=1.5)


def test_one_voice_at_a_time_and_the_lock_screen(pages, built):
    # Record the Media Session handlers the page sets, to press them as a lock screen would.
    page = pages.open()
    page.add_init_script("""
        window.handlers = {};
        const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
        navigator.mediaSession.setActionHandler = (action, handler) => { window.handlers[action] = handler;
                                                                         set(action, handler); };
    """)
    page.reload()
    section(page, "introduction").locator("button.play").click()
    wait_playing(page, "introduction", after=0.2)
    section(page).locator("button.play").click()
    wait_playing(page, after=0.2)
    assert player_state(page, "introduction")["paused"]
    assert section(page, "introduction").locator("button.play").inner_text().strip().startswith("Play")

    metadata = page.evaluate("""() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map(a => a.src)}; }""")
    guide = built.edition.guide
    assert metadata["title"] == "Steps Towards Healing" and metadata["artist"] == guide.title
    assert metadata["album"] == guide.subtitle and metadata["artwork"][0].endswith(f"/{SLUG}/cover.jpg")
    handlers = page.evaluate("Object.keys(window.handlers).sort()")
    assert {"play", "pause", "seekbackward", "seekforward", "seekto", "previoustrack", "nexttrack"} <= set(handlers)

    chapters = [mark.start / 1000 for mark in next(e for e in built.edition.episodes
                                                   if e.section.id == STEPS).chapters]
    page.evaluate("window.handlers.nexttrack({action: 'nexttrack'})")
    assert chapters[1] <= player_state(page)["time"] < chapters[1] + 1.5
    page.evaluate("window.handlers.seekto({action: 'seekto', seekTime: 40})")
    assert player_state(page)["time"] == pytest.approx(40, abs=1)
    page.evaluate("window.handlers.pause({action: 'pause'})")
    assert player_state(page)["paused"]
    page.evaluate("window.handlers.previoustrack({action: 'previoustrack'})")  # 40 s is in part 3 (33.7 s)
    assert chapters[2] <= player_state(page)["time"] < chapters[2] + 1.5


def test_pause_stays_within_reach_when_the_player_scrolls_away(pages):
    page = pages.open(viewport=PHONE)
    bar = page.locator(".now-playing")
    section(page).locator("button.play").click()
    wait_playing(page, after=0.2)
    assert not bar.is_visible()  # the section's own controls are in view
    page.locator("footer").scroll_into_view_if_needed()
    bar.wait_for(state="visible")
    button = bar.get_by_role("button", name="Pause Steps Towards Healing")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"]
    screenshot(page, "page-phone-bar", full_page=False)
    violations = axe(page)
    assert not violations, "with the now-playing bar:\n" + explain(violations)
    button.click()
    bar.get_by_role("button", name="Play Steps Towards Healing").wait_for()
    assert player_state(page)["paused"]
    bar.get_by_role("link", name="Steps Towards Healing").click()
    bar.wait_for(state="hidden")  # back at the section: its own controls are there


def test_the_keyboard_alone_does_it_all(pages, built):
    page = pages.open()
    episode = next(e for e in built.edition.episodes if e.section.id == STEPS)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "page_main"

    rings = tab_to(page, f"section#{STEPS} button.play")
    for ring in rings:
        if ring["tag"] in ("A", "BUTTON", "SELECT"):
            assert ring["style"] != "none" and ring["width"] >= 3, ring
    page.keyboard.press("Enter")
    wait_playing(page, after=0.2)

    page.keyboard.press("Tab")  # back 15 s
    page.keyboard.press("Tab")  # forward 30 s
    assert page.evaluate("document.activeElement.dataset.skip") == str(SKIP_FORWARD_S)
    before = player_state(page)["time"]
    page.keyboard.press("Space")
    assert player_state(page)["time"] >= before + SKIP_FORWARD_S - 1

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('select.speed')")
    page.keyboard.press("ArrowDown")
    assert player_state(page)["rate"] == 1.25

    tab_to(page, f"section#{STEPS} .part[data-start='{episode.chapters[4].start}']")
    page.keyboard.press("Enter")
    assert episode.chapters[4].start / 1000 <= player_state(page)["time"] < episode.chapters[4].start / 1000 + 1.5

    # Into the words: the tab stop is the sentence being read; arrows move, Enter and Space play.
    tab_to(page, f"section#{STEPS} .line")
    assert page.evaluate("document.activeElement.getAttribute('aria-current')") == "true"
    ring = focus_ring(page)
    assert ring["style"] != "none" and ring["width"] >= 3
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    start = int(page.evaluate("document.activeElement.dataset.start"))
    page.keyboard.press("Enter")
    assert start / 1000 <= player_state(page)["time"] < start / 1000 + 1.5
    page.keyboard.press("ArrowUp")
    start = int(page.evaluate("document.activeElement.dataset.start"))
    page.keyboard.press("Space")
    assert start / 1000 <= player_state(page)["time"] < start / 1000 + 1.5
    # One Tab leaves the words for the downloads: not one stop per sentence.
    page.keyboard.press("Tab")
    assert page.evaluate("(sid) => document.activeElement.matches(`section#${sid} .downloads a`)", STEPS)

    tab_to(page, f"section#{STEPS} button.play", backwards=True)
    page.keyboard.press("Space")
    assert player_state(page)["paused"]


def test_feed_links_land_on_their_section(pages, built):
    page = pages.open(f"{SLUG}/index.html#{STEPS}")
    page.wait_for_timeout(300)
    top = page.evaluate("(sid) => document.getElementById(sid).getBoundingClientRect().top", STEPS)
    assert 0 <= top < 40


def test_copy_the_feed_address(pages, built):
    page = pages.open()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy address").click()
    page.wait_for_function("document.getElementById('page_copy_status').textContent.startsWith('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == built.edition.feed_url


def test_axe_finds_no_wcag_violations(pages):
    checked = []
    for viewport, scheme in ((DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark")):
        page = pages.open(viewport=viewport, color_scheme=scheme)
        # With a sentence and a part marked, so their colours are judged too.
        pause_and_seek(page, 50)
        page.evaluate("(sid) => document.querySelector(`section#${sid} .line`).focus()", STEPS)
        violations = axe(page)
        assert not violations, f"{scheme} at {viewport['width']}px:\n" + explain(violations)
        checked.append(scheme)
    for scheme in ("light", "dark"):
        violations = axe(pages.open("", color_scheme=scheme))
        assert not violations, f"catalog, {scheme}:\n" + explain(violations)
    assert checked == ["light", "light", "dark"]


def test_phone_and_desktop_layouts(pages):
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = pages.open(viewport=viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "scrolls sideways"
        small = page.evaluate("""() => [...document.querySelectorAll(
                'button, select, .links a, .contents a, .part, .catalog-entry h2 a')]
            .filter(element => element.offsetParent !== null)
            .map(element => [element.textContent.trim().slice(0, 40), element.getBoundingClientRect()])
            .filter(([, box]) => box.width < 44 || box.height < 44)
            .map(([text, box]) => `${text}: ${Math.round(box.width)}x${Math.round(box.height)}`)""")
        assert not small, f"tap targets under 44px at {name} width: {small}"
        fonts = page.evaluate("""() => { const style = getComputedStyle(document.body);
            return [parseFloat(style.fontSize), parseFloat(style.lineHeight)]; }""")
        assert fonts[0] >= 18 and fonts[1] / fonts[0] >= 1.5
        screenshot(page, f"page-{name}")
        section(page).locator(".part").nth(2).click()
        wait_playing(page, after=34)
        page.evaluate("(sid) => document.querySelector(`section#${sid} audio`).pause()", STEPS)
        screenshot(page, f"page-{name}-playing", full_page=False)
    page = pages.open(viewport=PHONE, color_scheme="dark")
    screenshot(page, "page-phone-dark")
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = pages.open("", viewport=viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"catalog-{name}")


def test_following_the_voice_scrolls_gently_and_never_smoothly_for_reduced_motion(pages, built):
    last = next(e for e in built.edition.episodes if e.section.id == STEPS).lines[-1]
    for motion, behavior in (("no-preference", "smooth"), ("reduce", "auto")):
        page = pages.open(viewport=PHONE, reduced_motion=motion)
        # Instant, whatever the setting: no slide through the page to a section.
        assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
        page.evaluate("""() => { window.scrolls = [];
            const scrollBy = window.scrollBy.bind(window);
            window.scrollBy = (options) => { window.scrolls.push(options); scrollBy(options); }; }""")
        root = section(page)
        root.locator(".line").first.scroll_into_view_if_needed()
        page.evaluate("(sid) => document.querySelector(`section#${sid} audio`).play()", STEPS)
        wait_playing(page, after=0.2)  # the first sentence is marked, in view: the reader is following
        assert page.evaluate("window.scrolls.length") == 0
        page.evaluate("([sid, t]) => { document.querySelector(`section#${sid} audio`).currentTime = t; }",
                      [STEPS, last.start / 1000])
        page.wait_for_function("window.scrolls.length > 0")
        assert page.evaluate("window.scrolls[0].behavior") == behavior
        page.wait_for_timeout(800)
        box = root.locator(".line").last.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], box  # the voice's sentence in view
        page.evaluate("(sid) => document.querySelector(`section#${sid} audio`).pause()", STEPS)


def test_everything_is_there_without_javascript(pages, built, server):
    page = pages.open(java_script_enabled=False)
    edition = built.edition
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page-no-js.txt").write_text(page.inner_text("body"), encoding="utf-8")
    screenshot(page, "page-no-js")
    assert page.locator("audio[controls]").count() == len(edition.episodes)
    assert not page.locator("button").first.is_visible()  # the script's controls would do nothing
    for episode in edition.episodes:
        root = section(page, episode.section.id)
        assert root.locator("audio").get_attribute("src") == episode.files.audio
        lines = root.locator(".line")
        assert lines.count() == len(episode.lines) and lines.first.is_visible()
        assert lines.nth(1).get_attribute("href") == f"{episode.files.audio}#t={episode.lines[1].start / 1000:g}"
        for href in (episode.files.audio, episode.files.html, episode.files.txt, episode.files.srt,
                     episode.files.vtt):
            assert root.locator(f'.links a[href="{href}"]').is_visible(), href
    assert page.locator(f'a[href="{edition.full.audio}"]').is_visible()
    assert page.locator(f'a[href="{edition.full.audiobook}"]').is_visible()
    assert page.locator("#page_feed_url").inner_text() == edition.feed_url
    for app, link in app_links(edition.feed_url):
        assert page.get_by_role("link", name=app).get_attribute("href") == link
    assert page.locator('a[href="feed.xml"]').is_visible()
    # Every relative link and source resolves on a plain static host.
    urls = page.evaluate("""() => [...document.querySelectorAll('[href], [src]')]
        .map(element => element.href || element.src)""")
    local = sorted({url.split("#")[0] for url in urls if url.startswith(server)})
    assert len(local) > 30
    for url in local:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as response:
                assert response.status == 200, url
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{url}: {error.code}") from None


def test_catalog_lists_both_guides(pages, built):
    page = pages.open("")
    links = page.locator(".catalog h2 a")
    assert links.count() == 2
    assert [links.nth(i).inner_text() for i in range(2)] == [built.edition.guide.title, built.second.guide.title]
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [f"{SLUG}/", f"{SECOND}/"]
    text = page.inner_text("main")
    assert "6 sections, 4:0" in text and built.edition.guide.description in text
    assert page.locator("h1").inner_text() == "Audio guides from Riverside Clinic"
    links.nth(1).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == built.second.guide.title
