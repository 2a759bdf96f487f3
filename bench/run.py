"""Benchmark of a whole build against the raw cost of the same work.

What is measured, on a generated guide: content/journey-through-healing/guide.md
repeated to about ``--hours`` of speech (the copies needed are counted from the
measured espeak-ng duration of the real guide; copy k gets titles "..., part k",
its paragraphs' sentences rotated by k and their first one prefixed "Part k:",
so every section, and every paragraph's opening sentence, is new audio), for
espeak-ng (the default engine's voice) and then, when it is installed, Piper:

* the raw floor: the same utterances (and the same silences) spoken by the
  engine in one process into one PCM array, plus ONE ffmpeg MP3 encode of it
  with the pipeline's settings. A build has to do at least this, so
  cold/floor says what planning, isolation, mastering, per-section encoding,
  caching and publishing cost on top. For Piper the floor is its own
  ``PiperVoice.synthesize``, onnxruntime using every core as it does by default.
  espeak-ng's floor is run twice and the faster run counts: a noisy machine
  only ever slows a run down, and a slow floor would flatter the builds;
* cold builds with empty cache and output folders: espeak-ng with jobs=1
  (target <= 1.3 x floor) and jobs=2 (<= 0.9 x); Piper with its default (one
  worker whose speakers share one voice) and a worker per core (<= 1.1 x);
* an unchanged rebuild into the folders of the last of those (espeak-ng:
  jobs=2, Piper: its default; target < 0.5 s), then a rebuild after one
  sentence is edited (target < 5% of that cold build), each with the work it
  did: engine calls, sections encoded, output files written;
* the per-utterance speech cache's size per hour of speech, stored (compressed)
  beside its raw samples;
* peak memory: every build runs in a child process that reports the largest
  ru_maxrss of itself and of its waited-for descendants (the workers and
  their ffmpeg runs), i.e. the largest single process (espeak-ng: < 300 MB),
  and the largest sum of PSS over every process under it (Piper: < 800 MB).

Run from the project folder:

    .venv/bin/python bench/run.py              # the full table, 1 hour of speech
    .venv/bin/python bench/run.py --engine espeak-ng   # one engine only
    .venv/bin/python bench/run.py --hours 10   # peak memory only, jobs=2, 10 hours

(``--hours`` above 2 means memory only; ``--mode full|memory`` overrides that.)
"""

from __future__ import annotations

import argparse
import re
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SOURCE = ROOT / "content" / "journey-through-healing" / "guide.md"
EDIT = ("prioritize self-care", "put self-care first")  # one sentence in one section of copy 1


def make_guide(copies: int, folder: Path) -> Path:
    """Write ``copies`` varied copies of the real guide as one guide."""
    from audio_guide.reading.guides import INTRODUCTION_TITLE, split_sentences

    lines = SOURCE.read_text().split("\n")
    end = lines.index("---", 1)
    front, body = lines[: end + 1], lines[end + 1:]
    out = front
    for k in range(1, copies + 1):
        out += ["", f"## {INTRODUCTION_TITLE}, part {k}"]
        for line in body:
            if line.startswith("## "):
                line = f"{re.sub(r' [{]#[^}]*[}]$', '', line)}, part {k}"
            elif line.strip() and not line.startswith("#"):
                sentences = split_sentences(line.strip())
                turn = k % len(sentences)
                sentences = sentences[turn:] + sentences[:turn]
                line = " ".join([f"Part {k}: {sentences[0]}"] + sentences[1:])
            out.append(line)
    path = folder / "content" / "journey-through-healing" / "guide.md"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(out) + "\n")
    return path


def peak_mb() -> tuple[float, float]:
    """(this process, largest waited-for descendant) peak RSS in MB (Linux: KB units).

    A child started by fork/vfork + exec (ffmpeg) is charged its parent's RSS
    at the exec, never more than the parent's own peak: the maximum is still
    that of the largest real process.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, kids / 1024


class TreeMemory:
    """The largest sum of PSS (proportional set size: a page shared by forked
    processes counts once, split between them) over this process and all its
    descendants, sampled every 0.2 s. ru_maxrss misses the speech servers,
    which nobody waits for, and the processes they fork."""

    def __init__(self):
        import threading

        self.peak_mb, self._done = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        import os

        me = os.getpid()
        while not self._done.wait(0.2):
            parents = {}
            for entry in Path("/proc").iterdir():
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
                except (OSError, ValueError):
                    continue
            tree, grew = {me}, True
            while grew:
                more = {pid for pid, parent in parents.items() if parent in tree} - tree
                tree |= more
                grew = bool(more)
            total = 0
            for pid in tree:
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                    total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE).group(1))
                except (OSError, AttributeError):
                    continue
            self.peak_mb = max(self.peak_mb, total / 1024)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_mb


def task_build(content: str, out: str, cache: str, jobs: int, engine: str = "pyttsx3") -> dict:
    from audio_guide import BuildOptions, build
    from audio_guide.speaking.script import section_script

    before = _files(Path(out))
    memory = TreeMemory()
    start = time.perf_counter()
    try:
        result = build(BuildOptions(content_dir=Path(content), out_dir=Path(out), cache_dir=Path(cache),
                                    jobs=jobs, engine=engine))
    except Exception as exc:  # still report the time and memory it took to fail
        own, kids = peak_mb()
        return dict(seconds=time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}",
                    parent_mb=own, worker_mb=kids, tree_mb=memory.stop())
    seconds = time.perf_counter() - start
    tree_mb = memory.stop()
    edition = result.editions[0]
    episodes, guide = edition.episodes, edition.guide
    words = sum(len(u.text.split()) for n in range(1, len(guide.sections) + 1)
                for u in section_script(guide, n, guide.voice.pauses))  # what is spoken
    minutes = sum(e.duration_ms for e in episodes) / 60000
    own, kids = peak_mb()
    after = _files(Path(out))
    return dict(seconds=seconds, words=words, minutes=minutes, sections=len(episodes),
                synthesized=result.stats.synthesized, engine_calls=result.stats.engine_calls,
                written=sum(1 for name, stat in after.items() if before.get(name) != stat), files=len(after),
                full_ms=edition.full.duration_ms, parent_mb=own, worker_mb=kids, tree_mb=tree_mb,
                speech_mb=_speech_cache(Path(cache)))


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file under ``folder``: any file written anew changes."""
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def _speech_cache(cache: Path) -> tuple[float, float]:
    """(MB stored, MB of raw samples) of the per-utterance speech cache."""
    from audio_guide.speaking.speech_cache import SUFFIX, decode_speech

    stored = raw = 0
    for path in cache.glob(f"??/*.{SUFFIX}"):
        data = path.read_bytes()[32:]  # after the SHA-256 the cache checks
        stored += len(data)
        raw += len(decode_speech(data).samples)
    return stored / 1e6, raw / 1e6


def _espeak_speaker(guide):
    from audio_guide.speaking.engine import get_engine

    engine = get_engine("espeak-ng")
    voice = guide.voice.name or engine.default_voice(guide.language)
    return engine.sample_rate, lambda text: engine.synthesize(text, voice, guide.voice.rate).samples


def _piper_speaker(guide):
    """Piper as its own documentation uses it: one voice, loaded once, onnxruntime's default threads."""
    import numpy as np
    from piper import PiperVoice, SynthesisConfig

    from audio_guide.speaking.engine import get_engine
    from audio_guide.speaking.piper import length_scale

    engine = get_engine("piper")
    model = engine.find_voice(engine.default_voice(guide.language)).path
    voice = PiperVoice.load(model)
    config = SynthesisConfig(length_scale=length_scale(guide.voice.rate), normalize_audio=False)

    def speak(text):
        chunks = voice.synthesize(text, config)
        return b"".join((np.clip(c.audio_float_array, -1, 1) * 32767).astype("<i2").tobytes() for c in chunks)

    return voice.config.sample_rate, speak


def task_floor(guide_path: str, mp3: str | None, engine: str = "espeak-ng") -> dict:
    """The engine for every utterance plus the pipeline's silences, one PCM array, one encode."""
    from audio_guide.reading.guides import read_guide
    from audio_guide.speaking.script import section_script
    from audio_guide.speaking.workers import LEAD_IN_MS
    from audio_guide import ffmpeg as tools
    from audio_guide.audio import codecs as audio

    guide = read_guide(guide_path)
    rate, speak = (_piper_speaker if engine == "piper" else _espeak_speaker)(guide)
    start = time.perf_counter()
    pcm = bytearray()  # one growing array: no second copy at the end
    for n in range(1, len(guide.sections) + 1):
        pcm += bytes(LEAD_IN_MS * rate // 1000 * 2)
        for utterance in section_script(guide, n, guide.voice.pauses):
            pcm += speak(utterance.text)
            pcm += bytes(utterance.pause_after * rate // 1000 * 2)
    if mp3:
        subprocess.run([tools.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-",
                        "-codec:a", "libmp3lame", "-b:a", audio.MP3_BITRATE, "-ar", str(audio.MP3_SAMPLE_RATE),
                        "-ac", "1", "-id3v2_version", "0", "-write_xing", "1", "-bitexact",
                        "-map_metadata", "-1", "-f", "mp3", mp3], input=pcm, check=True)
    seconds = time.perf_counter() - start
    own, kids = peak_mb()
    return dict(seconds=seconds, audio_s=len(pcm) / 2 / rate, parent_mb=own, worker_mb=kids)


def child(task: str, may_fail: bool = False, **kwargs) -> dict:
    """Run a task in a fresh interpreter, so its rusage is its own."""
    done = subprocess.run([sys.executable, __file__, "--child", task, json.dumps(kwargs)],
                          stdout=subprocess.PIPE, check=True, text=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in found and not may_fail:
        sys.exit(f"{task} failed after {found['seconds']:.1f} s: {found['error']}")
    return found


def cold(tmp: Path, content: Path, jobs: int, may_fail: bool = False, engine: str = "pyttsx3") -> tuple[dict, dict]:
    dirs = dict(out=str(tmp / f"out-j{jobs}"), cache=str(tmp / f"cache-j{jobs}"))
    return child("build", may_fail, content=str(content), jobs=jobs, engine=engine, **dirs), dirs


def row(measure, value, target="", ratio="", result="") -> str:
    return f"| {measure} | {value} | {target} | {ratio} | {result} |"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def mem_rows(label: str, run: dict, limit: int = 300, whole_tree: bool = False) -> list[str]:
    """Peak memory: the largest process's RSS, and the sum of every process's
    PSS; the target is on the first, or with ``whole_tree`` on the second
    (Piper's speakers, which ru_maxrss misses, hold most of its memory)."""
    peak = max(run["parent_mb"], run["worker_mb"])
    rss, pss = (f"< {limit} MB", verdict(peak < limit)), (f"< {limit} MB", verdict(run["tree_mb"] < limit))
    return [row(f"peak RSS, {label} (build process / largest worker)",
                f"{peak:.0f} MB ({run['parent_mb']:.0f} / {run['worker_mb']:.0f})", *(("", "", "") if whole_tree
                                                                                     else (rss[0], "", rss[1]))),
            row(f"peak memory, {label}, all processes together (sum of PSS)", f"{run['tree_mb']:.0f} MB",
                *((pss[0], "", pss[1]) if whole_tree else ("", "", "")))]


# The targets, by engine: (label, jobs, cold build at most this many floors).
RUNS = {
    "espeak-ng": [("jobs=1", 1, 1.3), ("jobs=2", 2, 0.9)],
    # The natural voice's build defaults to one worker whose speakers share one
    # loaded voice; a worker per core is faster and heavier.
    "piper": [("default: one worker, speaking on every core", 0, 1.1), ("a worker per core", -1, 1.1)],
}
MEMORY_MB = {"espeak-ng": 300, "piper": 800}
# Runs of the raw floor, of which the faster counts. Piper's takes minutes,
# and its targets are far from its figures.
FLOOR_RUNS = {"espeak-ng": 2, "piper": 1}
UNCHANGED_S = 0.5  # an unchanged rebuild, in seconds
EDIT_SHARE = 0.05  # a one-sentence edit, as a share of the cold build


def engine_rows(tmp: Path, engine: str, copies: int) -> tuple[list[str], dict]:
    """Every figure for one engine, each beside its floor or target, measured in this run."""
    import os

    folder = tmp / engine
    guide = make_guide(copies, folder)
    content = guide.parent.parent
    build_engine = "pyttsx3" if engine == "espeak-ng" else engine  # the default engine speaks through espeak-ng
    # Noise only ever slows a run down: the floor is the faster of FLOOR_RUNS runs.
    floors = [child("floor", guide_path=str(guide), mp3=str(folder / "floor.mp3"), engine=engine)
              for _ in range(FLOOR_RUNS[engine])]
    floor = min(floors, key=lambda run: run["seconds"])
    f = floor["seconds"]
    speaker = "espeak-ng" if engine == "espeak-ng" else "PiperVoice.synthesize (all cores)"
    seen = ", ".join(f"{run['seconds']:.1f}" for run in floors)
    runs_seen = f" (the faster of {seen})" if len(floors) > 1 else ""
    rows = [row(f"**{engine}** raw floor: {speaker} + one MP3 encode{runs_seen}", f"{f:.1f}"),
            row("peak RSS, raw floor (one process)", f"{floor['parent_mb']:.0f} MB")]
    runs = []
    for label, jobs, target in RUNS[engine]:
        jobs = (os.cpu_count() or 1) if jobs < 0 else jobs
        run, dirs = cold(folder, content, jobs, engine=build_engine)
        runs.append((label, jobs, run, dirs))
        rows += [row(f"cold build, {label}", f"{run['seconds']:.1f}", f"<= {target} x floor",
                     f"{run['seconds'] / f:.2f}", verdict(run["seconds"] / f <= target))]
        rows += mem_rows(label, run, MEMORY_MB[engine], whole_tree=engine == "piper")
    # The rebuilds go into the folders of the build the targets name last
    # (espeak-ng: two jobs; Piper: its default).
    label, jobs, run, dirs = runs[-1] if engine == "espeak-ng" else runs[0]
    same = child("build", content=str(content), jobs=jobs, engine=build_engine, **dirs)
    text = guide.read_text()
    assert EDIT[0] in text, "the sentence to edit is gone from the guide"
    guide.write_text(text.replace(*EDIT, 1))
    edit = child("build", content=str(content), jobs=jobs, engine=build_engine, **dirs)
    stored, raw = run["speech_mb"]
    hours = run["minutes"] / 60
    rows += [
        row(f"unchanged rebuild, {label} ({same['engine_calls']} engine calls, {same['synthesized']} sections "
            f"encoded, {same['written']} of {same['files']} files written)", f"{same['seconds']:.2f}",
            f"< {UNCHANGED_S} s", f"{same['seconds'] / f:.3f}", verdict(same["seconds"] < UNCHANGED_S)),
        row(f"one-sentence edit, {label} ({edit['engine_calls']} engine call, {edit['synthesized']} section "
            f"encoded, {edit['written']} of {edit['files']} files written)", f"{edit['seconds']:.2f}",
            f"< {EDIT_SHARE:.0%} of the cold build", f"{edit['seconds'] / run['seconds']:.3f}",
            verdict(edit["seconds"] < EDIT_SHARE * run["seconds"])),
        row("speech cache, per hour of speech (stored / raw samples)",
            f"{stored / hours:.0f} MB / {raw / hours:.0f} MB", "", f"{stored / raw:.2f}" if raw else ""),
    ]
    return rows, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of speech in the generated guide")
    parser.add_argument("--mode", choices=("full", "memory"), help="default: full up to 2 hours, else memory")
    parser.add_argument("--engine", choices=("espeak-ng", "piper"),
                        help="only this engine (default: espeak-ng, then Piper when it is installed)")
    args = parser.parse_args()
    mode = args.mode or ("memory" if args.hours > 2 else "full")
    engines = [args.engine] if args.engine else ["espeak-ng"] + (["piper"] if _has_piper() else [])
    with tempfile.TemporaryDirectory(prefix="audio-guide-bench-") as name:
        tmp = Path(name)
        per_copy = child("floor", guide_path=str(SOURCE), mp3=None)["audio_s"]
        copies = max(1, round(args.hours * 3600 / per_copy))
        print(f"{copies} copies of {SOURCE.name} ({per_copy / 60:.1f} min of speech each), mode {mode}, "
              f"{', '.join(engines)}", file=sys.stderr)
        rows = [row("measure", "seconds (or MB)", "baseline/target", "ratio", "result"), row(*["---"] * 5)]
        if mode == "memory":
            guide = make_guide(copies, tmp)
            run, _ = cold(tmp, guide.parent.parent, 2, may_fail=True)
            failed = f"FAIL: {run['error']}" if "error" in run else ""
            rows += [row("cold build, jobs=2", f"{run['seconds']:.1f}", "", "", failed)]
            rows += mem_rows("jobs=2" + (" (until the failure)" if failed else ""), run)
            runs = [run]
        else:
            runs = []
            for engine in engines:
                more, run = engine_rows(tmp, engine, copies)
                rows += more
                runs.append(run)
        print("\n".join(rows))
        for run in runs:
            if "error" not in run:
                print(f"\n{run['sections']} sections, {run['words']} words, audio {run['minutes']:.1f} min in "
                      f"episodes (complete file {run['full_ms'] / 60000:.1f} min): "
                      f"{run['words'] / run['minutes']:.1f} words per minute")


def _has_piper() -> bool:
    import importlib.util

    return importlib.util.find_spec("piper") is not None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        task = {"build": task_build, "floor": task_floor}[sys.argv[2]]
        print(json.dumps(task(**json.loads(sys.argv[3]))))
    else:
        main()
