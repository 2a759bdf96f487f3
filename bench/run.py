"""Benchmark of a whole build against the raw cost of the same work.

What is measured, on a generated guide: content/journey-through-healing/guide.md
repeated to about ``--hours`` of speech (the copies needed are counted from the
measured espeak-ng duration of the real guide; copy k gets titles "..., part k",
its paragraphs' sentences rotated by k and their first one prefixed "Part k:",
so every section, and every paragraph's opening sentence, is new audio):

* cold build time, jobs=1 and jobs=2, each with empty cache and output folders;
* the raw floor: the same utterances (and the same silences) spoken by
  espeak-ng in one process into one PCM array, plus ONE ffmpeg MP3 encode of it
  with the pipeline's settings. A build has to do at least this, so
  cold/floor says what planning, mastering, per-section encoding, caching and
  publishing cost on top (targets: <= 1.5 with jobs=1, <= 0.9 with jobs=2);
* an unchanged rebuild into the jobs=2 folders (everything cached; target
  < 1 s), then a rebuild after one sentence is edited (one section should be
  synthesized again);
* peak memory: every build runs in a child process that reports the largest
  ru_maxrss of itself and of its waited-for descendants (the spawn workers and
  their ffmpeg runs), i.e. the largest single process (target < 300 MB).

With ``--engine piper`` (the natural voice) the floor is Piper's own
``PiperVoice.synthesize`` over the same utterances in one process, onnxruntime
using every core as it does by default, plus one MP3 encode; the build uses
every core (one worker per core); targets: cold build <= 1.1 x floor,
unchanged rebuild < 1 s, peak memory < 800 MB.

Run from the project folder:

    .venv/bin/python bench/run.py              # the full table, 1 hour of speech
    .venv/bin/python bench/run.py --hours 10   # peak memory only, jobs=2, 10 hours
    .venv/bin/python bench/run.py --engine piper

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
    return dict(seconds=seconds, words=words, minutes=minutes, sections=len(episodes),
                synthesized=result.stats.synthesized, engine_calls=result.stats.engine_calls,
                full_ms=edition.full.duration_ms, parent_mb=own, worker_mb=kids, tree_mb=tree_mb)


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


def mem_rows(label: str, run: dict, limit: int = 300) -> list[str]:
    peak = max(run["parent_mb"], run["worker_mb"])
    return [row(f"peak RSS, {label} (build process / largest worker)",
                f"{peak:.0f} MB ({run['parent_mb']:.0f} / {run['worker_mb']:.0f})", f"< {limit} MB", "",
                verdict(peak < limit)),
            row(f"peak memory, {label}, all processes together (sum of PSS)", f"{run['tree_mb']:.0f} MB")]


def piper_rows(tmp: Path, guide: Path, content: Path) -> tuple[list[str], dict]:
    """The natural voice, with the build's default workers (one, speaking on
    every core), against Piper's own floor; then a worker per core."""
    import os

    cores = os.cpu_count() or 1
    floor = child("floor", guide_path=str(guide), mp3=str(tmp / "floor.mp3"), engine="piper")
    run, dirs = cold(tmp, content, 0, engine="piper")
    same = child("build", content=str(content), jobs=0, engine="piper", **dirs)
    each, _ = cold(tmp, content, cores, engine="piper")
    f = floor["seconds"]
    rows = [row("raw floor: PiperVoice.synthesize (all cores) + one MP3 encode", f"{f:.1f}"),
            row("peak RSS, raw floor (one process)", f"{floor['parent_mb']:.0f} MB")]
    for label, build in (("default: one worker, speaking on every core", run), (f"jobs={cores}", each)):
        rows += [row(f"cold build, piper, {label}", f"{build['seconds']:.1f}", "<= 1.1 x floor",
                     f"{build['seconds'] / f:.2f}", verdict(build["seconds"] / f <= 1.1)),
                 row(f"peak memory, piper, {label}, all processes (sum of PSS)", f"{build['tree_mb']:.0f} MB",
                     "< 800 MB", "", verdict(build["tree_mb"] < 800))]
    rows.insert(3, row("unchanged rebuild, piper", f"{same['seconds']:.2f}", "< 1 s", "", verdict(same["seconds"] < 1)))
    return rows, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of speech in the generated guide")
    parser.add_argument("--mode", choices=("full", "memory"), help="default: full up to 2 hours, else memory")
    parser.add_argument("--engine", choices=("espeak-ng", "piper"), default="espeak-ng",
                        help="piper: the natural voice against its own floor")
    args = parser.parse_args()
    mode = args.mode or ("memory" if args.hours > 2 else "full")
    with tempfile.TemporaryDirectory(prefix="audio-guide-bench-") as name:
        tmp = Path(name)
        per_copy = child("floor", guide_path=str(SOURCE), mp3=None)["audio_s"]
        copies = max(1, round(args.hours * 3600 / per_copy))
        guide = make_guide(copies, tmp)
        content = guide.parent.parent
        print(f"{copies} copies of {SOURCE.name} ({per_copy / 60:.1f} min of speech each), mode {mode}",
              file=sys.stderr)
        rows = [row("measure", "seconds (or MB)", "baseline/target", "ratio", "result"), row(*["---"] * 5)]
        if args.engine == "piper":
            piper, run = piper_rows(tmp, guide, content)
            rows += piper
        elif mode == "memory":
            run, _ = cold(tmp, content, 2, may_fail=True)
            failed = f"FAIL: {run['error']}" if "error" in run else ""
            rows += [row("cold build, jobs=2", f"{run['seconds']:.1f}", "", "", failed)]
            rows += mem_rows("jobs=2" + (" (until the failure)" if failed else ""), run)
        else:
            floor = child("floor", guide_path=str(guide), mp3=str(tmp / "floor.mp3"))
            one, _ = cold(tmp, content, 1)
            run, dirs = cold(tmp, content, 2)
            same = child("build", content=str(content), jobs=2, **dirs)
            text = guide.read_text()
            assert EDIT[0] in text, "the sentence to edit is gone from the guide"
            guide.write_text(text.replace(*EDIT, 1))
            edit = child("build", content=str(content), jobs=2, **dirs)
            f = floor["seconds"]
            rows += [
                row("raw floor: espeak-ng + one MP3 encode", f"{f:.1f}"),
                row("cold build, jobs=1", f"{one['seconds']:.1f}", "<= 1.5 x floor",
                    f"{one['seconds'] / f:.2f}", verdict(one["seconds"] / f <= 1.5)),
                row("cold build, jobs=2", f"{run['seconds']:.1f}", "<= 0.9 x floor",
                    f"{run['seconds'] / f:.2f}", verdict(run["seconds"] / f <= 0.9)),
                row("unchanged rebuild, jobs=2", f"{same['seconds']:.2f}", "< 1 s", "",
                    verdict(same["seconds"] < 1)),
                row(f"one-sentence edit rebuild ({edit['synthesized']} section, "
                    f"{edit['engine_calls']} engine calls)", f"{edit['seconds']:.2f}", "1 section", "",
                    verdict(edit["synthesized"] == 1)),
                row("peak RSS, raw floor (one process)", f"{floor['parent_mb']:.0f} MB"),
            ] + mem_rows("jobs=1", one)
            rows += mem_rows("jobs=2", run)
        print("\n".join(rows))
        if "error" not in run:
            print(f"\n{run['sections']} sections, {run['words']} words, audio {run['minutes']:.1f} min in "
                  f"episodes (complete file {run['full_ms'] / 60000:.1f} min): "
                  f"{run['words'] / run['minutes']:.1f} words per minute")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        task = {"build": task_build, "floor": task_floor}[sys.argv[2]]
        print(json.dumps(task(**json.loads(sys.argv[3]))))
    else:
        main()
