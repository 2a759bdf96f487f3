/* The listening page's enhancements. Inlined by page.py at the end of <body>.
   Everything here is optional: without it the native players still play,
   and every sentence and part still links to the audio at its time.

   What it adds: the sentence being read is highlighted (aria-current) and
   kept in view; sentences and parts seek the player instead of leaving the
   page; Play/Pause, skip and speed buttons; one player at a time; a "now
   playing" bar when the playing section's own controls are out of view;
   lock-screen and headset controls through the Media Session API; copying
   the feed address. */
(function () {
  "use strict";

  var SPEED_KEY = "audio-guide-speed";
  var RESTART_MS = 3000;     // "previous" this soon after a part starts goes to the part before it
  var FOLLOW_AT = 0.3;       // where a followed sentence is brought to: this far down the window
  var COMFORT_TOP = 0.12;    // ... when it leaves the band between these fractions of the window
  var COMFORT_BOTTOM = 0.85;

  var episodes = [];
  var current = null;        // the episode played last: the one the lock screen controls
  var speed = 1;
  var bar = null;            // the "now playing" bar, where IntersectionObserver exists
  var session = "mediaSession" in navigator ? navigator.mediaSession : null;

  function toArray(list) { return Array.prototype.slice.call(list); }

  /* The page's words in its language: data-words-* on <body>, written by page.py from phrases.py. */
  function words(key, english) { return document.body.getAttribute("data-words-" + key) || english; }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  /* The index of the last value <= target in an ascending list, or -1. */
  function lastAtOrBefore(values, target) {
    var low = 0, high = values.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (values[middle] <= target) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    return found;
  }

  /* The player's position in whole ms, rounded so that a seek to a
     sentence's start lands on that sentence, not on the one before. */
  function position(ep) { return Math.round(ep.audio.currentTime * 1000); }

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }

  function start(ep) {
    var playing = ep.audio.play();
    if (playing && playing.catch) { playing.catch(function () { /* refused or interrupted: the player shows it */ }); }
  }

  /* Bring a sentence into a comfortable band of the window, only when it has
     left it: the page moves seldom, by one step, and never smoothly for
     people who asked for reduced motion. */
  function keepInView(element) {
    var box = element.getBoundingClientRect();
    var height = window.innerHeight;
    if (box.top >= height * COMFORT_TOP && box.bottom <= height * COMFORT_BOTTOM) { return; }
    window.scrollBy({ top: box.top - height * FOLLOW_AT, behavior: reducedMotion() ? "auto" : "smooth" });
  }

  /* The roving tab stop: one sentence of each transcript is in the Tab order
     (the one being read, else the first), the arrow keys move between them. */
  function setTabStop(ep, index) {
    if (index === ep.tabStop || index < 0) { return; }
    if (ep.tabStop >= 0) { ep.lines[ep.tabStop].tabIndex = -1; }
    ep.lines[index].tabIndex = 0;
    ep.tabStop = index;
  }

  /* Mark the sentence and part at the player's position. The page follows
     only a reader who is following: if the sentence read before is out of
     view, they have scrolled away to read something else, and stay there. */
  function follow(ep, byUser) {
    var now = position(ep);
    var index = lastAtOrBefore(ep.starts, now);
    if (index !== ep.active) {
      var before = ep.active >= 0 ? ep.lines[ep.active] : null;
      var following = before ? inView(before) : inView(ep.transcript);
      if (before) { before.removeAttribute("aria-current"); }
      ep.active = index;
      if (index >= 0) {
        var line = ep.lines[index];
        line.setAttribute("aria-current", "true");
        setTabStop(ep, index);
        if (following && (byUser || !ep.audio.paused)) { keepInView(line); }
      }
    }
    if (ep.parts.length) {
      var part = lastAtOrBefore(ep.partStarts, now);
      if (part !== ep.activePart) {
        if (ep.activePart >= 0) { ep.parts[ep.activePart].removeAttribute("aria-current"); }
        if (part >= 0) { ep.parts[part].setAttribute("aria-current", "true"); }
        ep.activePart = part;
      }
    }
  }

  function seek(ep, ms, play) {
    ep.audio.currentTime = ms / 1000;
    follow(ep, true);
    if (play) { start(ep); }
  }

  function skip(ep, seconds) {
    var audio = ep.audio;
    var end = isFinite(audio.duration) ? audio.duration : Infinity;
    audio.currentTime = Math.max(0, Math.min(end, audio.currentTime + seconds));
    follow(ep, true);
  }

  function toggle(ep) {
    if (ep.audio.paused || ep.audio.ended) { start(ep); } else { ep.audio.pause(); }
  }

  function showState(ep) {
    var playing = !ep.audio.paused && !ep.audio.ended;
    ep.root.classList.toggle("playing", playing);
    if (ep.playLabel) { ep.playLabel.textContent = playing ? words("pause", "Pause") : words("play", "Play"); }
    updateBar();
  }

  /* The "now playing" bar. Following the words on a phone scrolls the
     section's own Pause button away; the bar keeps one within reach, and
     only then: while those controls are out of view. */
  function setUpBar() {
    if (!("IntersectionObserver" in window) || !episodes.length) { return; }
    bar = document.createElement("div");
    bar.className = "now-playing";
    bar.setAttribute("role", "region");
    bar.setAttribute("aria-label", words("now-playing", "Now playing"));
    bar.hidden = true;
    document.body.appendChild(bar);
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        episodes.forEach(function (ep) { if (ep.controls === entry.target) { ep.controlsInView = entry.isIntersecting; } });
      });
      updateBar();
    });
    episodes.forEach(function (ep) { if (ep.controls) { observer.observe(ep.controls); } });
  }

  function updateBar() {
    if (!bar) { return; }
    var ep = current;
    var show = !!ep && !ep.controlsInView && (!ep.audio.paused || ep.audio.currentTime > 0);
    if (show && bar.episode !== ep) {
      // The section's own Play button, copied: same name ("Pause <title>"), icon and size.
      bar.episode = ep;
      bar.textContent = "";
      var button = ep.root.querySelector("button.play").cloneNode(true);
      button.addEventListener("click", function () { toggle(ep); });
      var link = document.createElement("a");
      link.className = "now-playing-title";
      link.href = "#" + ep.root.id;
      link.textContent = ep.title;  // text, never markup: the title is the guide's
      bar.appendChild(button);
      bar.appendChild(link);
    }
    bar.hidden = !show;
    document.documentElement.classList.toggle("has-now-playing", show);
    if (show) {
      var playing = !ep.audio.paused && !ep.audio.ended;
      bar.classList.toggle("playing", playing);
      bar.querySelector(".play-label").textContent = playing ? words("pause", "Pause") : words("play", "Play");
    }
  }

  function setSpeed(rate, remember) {
    if (!(rate > 0)) { return; }
    speed = rate;
    episodes.forEach(function (ep) {
      // Both: a player that loads its file later starts at the default rate.
      ep.audio.defaultPlaybackRate = rate;
      if (ep.audio.playbackRate !== rate) { ep.audio.playbackRate = rate; }
      if (ep.speed) { ep.speed.value = String(rate); }
    });
    if (remember) {
      try { localStorage.setItem(SPEED_KEY, String(rate)); } catch (error) { /* private mode: not kept */ }
    }
  }

  function hasSpeed(select, rate) {
    return !!select && toArray(select.options).some(function (option) { return Number(option.value) === rate; });
  }

  /* Media Session: what the lock screen, a watch or a headset shows and controls. */

  function describe(ep) {
    if (!session || typeof window.MediaMetadata !== "function") { return; }
    var body = document.body;
    session.metadata = new window.MediaMetadata({
      title: ep.title,
      artist: body.getAttribute("data-guide-title"),
      album: body.getAttribute("data-album"),
      artwork: [{ src: new URL(body.getAttribute("data-cover"), document.baseURI).href, type: "image/jpeg" }]
    });
  }

  function updatePosition(ep) {
    if (!session || ep !== current) { return; }
    var audio = ep.audio;
    session.playbackState = audio.paused ? "paused" : "playing";
    if (!session.setPositionState || !isFinite(audio.duration) || audio.duration <= 0) { return; }
    try {
      session.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate,
                                 position: Math.min(audio.currentTime, audio.duration) });
    } catch (error) { /* an out-of-range moment while seeking: the next update fixes it */ }
  }

  /* Previous and next go by parts within a section, then on to the next or
     previous section, as the chapter buttons of a podcast app do. */
  function jump(direction) {
    var ep = current || episodes[0];
    if (!ep) { return; }
    var now = position(ep);
    var index = Math.max(0, lastAtOrBefore(ep.chapters, now));
    if (direction < 0) {
      if (now - ep.chapters[index] > RESTART_MS) {
        seek(ep, ep.chapters[index], true);  // back to the start of this part
      } else if (index > 0) {
        seek(ep, ep.chapters[index - 1], true);
      } else if (ep.index > 0) {
        var previous = episodes[ep.index - 1];
        seek(previous, previous.chapters[previous.chapters.length - 1], true);
      } else {
        seek(ep, 0, true);
      }
    } else if (index + 1 < ep.chapters.length) {
      seek(ep, ep.chapters[index + 1], true);
    } else if (ep.index + 1 < episodes.length) {
      seek(episodes[ep.index + 1], 0, true);
    }
  }

  function setUpSession() {
    if (!session) { return; }
    var handlers = {
      play: function () { start(current || episodes[0]); },
      pause: function () { if (current) { current.audio.pause(); } },
      stop: function () { if (current) { current.audio.pause(); } },
      seekbackward: function (details) { if (current) { skip(current, -((details && details.seekOffset) || 15)); } },
      seekforward: function (details) { if (current) { skip(current, (details && details.seekOffset) || 30); } },
      seekto: function (details) {
        if (!current || !details || typeof details.seekTime !== "number") { return; }
        if (details.fastSeek && "fastSeek" in current.audio) { current.audio.fastSeek(details.seekTime); }
        else { current.audio.currentTime = details.seekTime; }
        follow(current, false);
        updatePosition(current);
      },
      previoustrack: function () { jump(-1); },
      nexttrack: function () { jump(1); }
    };
    Object.keys(handlers).forEach(function (action) {
      try { session.setActionHandler(action, handlers[action]); } catch (error) { /* not supported here */ }
    });
  }

  /* One section */

  function setUp(root, index) {
    var audio = root.querySelector("audio");
    var ep = {
      root: root,
      index: index,
      audio: audio,
      title: root.getAttribute("data-title"),
      lines: toArray(root.querySelectorAll(".line")),
      parts: toArray(root.querySelectorAll(".part")),
      chapters: (audio.getAttribute("data-chapters") || "0").split(" ").map(Number),
      transcript: root.querySelector(".lines"),
      controls: root.querySelector(".controls"),
      controlsInView: true,
      speed: root.querySelector("select.speed"),
      playLabel: root.querySelector(".play-label"),
      error: root.querySelector(".player-error"),
      active: -1,
      activePart: -1,
      tabStop: -1
    };
    ep.starts = ep.lines.map(function (line) { return Number(line.getAttribute("data-start")); });
    ep.partStarts = ep.parts.map(function (part) { return Number(part.getAttribute("data-start")); });
    ep.lines.forEach(function (line) { line.tabIndex = -1; });
    if (ep.lines.length) { setTabStop(ep, 0); }

    root.querySelector("button.play").addEventListener("click", function () { toggle(ep); });
    toArray(root.querySelectorAll("button[data-skip]")).forEach(function (button) {
      button.addEventListener("click", function () { skip(ep, Number(button.getAttribute("data-skip"))); });
    });
    if (ep.speed) {
      ep.speed.addEventListener("change", function () { setSpeed(Number(ep.speed.value), true); });
    }

    // Sentences and parts: seek here and play, instead of opening the MP3.
    // A modified click (new tab, download) keeps the link's own behaviour.
    root.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest(".line, .part") : null;
      if (!target || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      seek(ep, Number(target.getAttribute("data-start")), true);
    });
    root.addEventListener("keydown", function (event) {
      var target = event.target;
      if (!target.matches || !target.matches(".line, .part")) { return; }
      if (event.key === " " || event.key === "Spacebar") {  // Space as well as Enter, as on a button
        event.preventDefault();
        target.click();
        return;
      }
      var at = ep.lines.indexOf(target);
      if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var rtl = window.getComputedStyle(target).direction === "rtl";
      var moves = { ArrowDown: at + 1, ArrowUp: at - 1, ArrowRight: rtl ? at - 1 : at + 1,
                    ArrowLeft: rtl ? at + 1 : at - 1, Home: 0, End: ep.lines.length - 1 };
      if (!(event.key in moves)) { return; }
      event.preventDefault();
      var next = Math.max(0, Math.min(ep.lines.length - 1, moves[event.key]));
      setTabStop(ep, next);
      ep.lines[next].focus();
    });

    audio.addEventListener("play", function () {
      // One voice at a time: starting one section pauses the others.
      episodes.forEach(function (other) { if (other !== ep && !other.audio.paused) { other.audio.pause(); } });
      current = ep;
      if (ep.error) { ep.error.hidden = true; }
      describe(ep);
      showState(ep);
      updatePosition(ep);
    });
    ["pause", "ended"].forEach(function (type) {
      audio.addEventListener(type, function () { showState(ep); updatePosition(ep); });
    });
    ["timeupdate", "seeked"].forEach(function (type) {
      audio.addEventListener(type, function () { follow(ep, false); });
    });
    ["seeked", "loadedmetadata", "durationchange"].forEach(function (type) {
      audio.addEventListener(type, function () { updatePosition(ep); });
    });
    audio.addEventListener("ratechange", function () {
      // The native player's own speed menu: keep our selects in step.
      if (audio.playbackRate !== speed && hasSpeed(ep.speed, audio.playbackRate)) { setSpeed(audio.playbackRate, true); }
      updatePosition(ep);
    });
    audio.addEventListener("error", function () {
      if (!ep.error) { return; }
      ep.error.hidden = false;
      ep.error.textContent = words("audio-error",
        "This audio could not be played here. You can download it below, or read its words.");
    });
    return ep;
  }

  /* Subscribe: copy the feed address. */

  function setUpCopy() {
    var address = document.getElementById("page_feed_url");
    var button = document.querySelector("button.copy");
    var status = document.getElementById("page_copy_status");
    if (!address || !button || !status) { return; }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(address);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    function done(copied) {
      status.textContent = copied ? words("copied", "Copied. Now paste it into your podcast app.")
        : words("copy-failed", "Could not copy here. The address is selected: copy it with your device’s Copy.");
    }
    function fallback() {
      select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      done(copied);
    }
    button.addEventListener("click", function () {
      status.textContent = "";  // so that a second copy is announced again
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(address.textContent).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  }

  toArray(document.querySelectorAll("section.episode")).forEach(function (root) {
    if (root.querySelector("audio")) { episodes.push(setUp(root, episodes.length)); }
  });
  var saved = null;
  try { saved = Number(localStorage.getItem(SPEED_KEY)); } catch (error) { saved = null; }
  if (saved && episodes.length && hasSpeed(episodes[0].speed, saved)) { setSpeed(saved, false); }
  setUpBar();
  setUpSession();
  setUpCopy();
})();
