"""Listening quality: the pronunciation lexicon, pacing profiles, and word
events that prove every sentence was spoken. Real engine throughout."""

from __future__ import annotations

import re
import shutil

import pytest
from mutagen.id3 import ID3

from audio_guide import BuildOptions, build
from audio_guide.reading.guides import read_guide
from audio_guide.speaking.espeak import EspeakEngine
from audio_guide.speaking.isolation import speak_all
from audio_guide.errors import ContentError, EngineError
from audio_guide.reading.lexicon import STARTER, Lexicon, load, read_lexicon
from audio_guide.model import PACING

from .conftest import CONTENT, run_cli

ENGINE = "pyttsx3"  # the default: espeak-ng on Linux

FRONT = "---\ntitle: Care Notes\npublished: 2026-11-26\n---\n"
# Every starter term, each in a sentence of its own, plus sentences without any.
TERMS = [entry.term for entry in read_lexicon(STARTER)]
GUIDE = FRONT + "\n## Terms\n\n" + " ".join(f"Ask about the {term} today." for term in TERMS) + (
    "\n\n## Rest\n\nRest when you can. Take Tylenol if your doctor agrees.\n\n- Drink water.\n- Sleep.\n")


def write_guide(tmp_path, text=GUIDE, name="care"):
    folder = tmp_path / "content" / name
    folder.mkdir(parents=True)
    (folder / "guide.md").write_text(text)
    return folder


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def lexicon_file(tmp_path, text, name="lexicon.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


# The file format ---------------------------------------------------------

def test_entries_match_whole_words_and_respect_case(tmp_path):
    lexicon = Lexicon(read_lexicon(lexicon_file(tmp_path, "# notes\nmg = milligrams\nIUD (any case) = I U D\n"
                                                 "OB = O B\nOB-GYN = O B G Y N   # longest wins\n")))
    assert lexicon.apply("Take 5 mg, not 5 MG or 5mg or mgmt.")[0] == "Take 5 milligrams, not 5 MG or 5mg or mgmt."
    assert lexicon.apply("An IUD, an iud.")[0] == "An I U D, an I U D."
    assert lexicon.apply("See an OB-GYN or OB.")[0] == "See an O B G Y N or O B."
    assert lexicon.apply("Nothing here.") == ("Nothing here.", ())


def test_spoken_offsets_map_back_to_the_written_words(tmp_path):
    lexicon = Lexicon(read_lexicon(STARTER))
    written = "After a D&C (e.g. at the ER), rest."
    spoken, spans = lexicon.apply(written)
    assert spoken == "After a D and C (for example at the E R), rest."
    from audio_guide.speaking.script import Utterance

    u = Utterance(written, "paragraph", 0, 0, 0, spoken, spans)
    mapped = {word: written[u.written_offset(m.start()):] for m in re.finditer(r"\S+", spoken) for word in [m.group()]}
    assert mapped["and"].startswith("D&C") and mapped["example"].startswith("e.g.")
    assert mapped["at"].startswith("at the ER") and mapped["R),"].startswith("ER),")
    assert mapped["rest."] == "rest."


def test_the_guides_own_entries_win(tmp_path):
    folder = write_guide(tmp_path)
    (tmp_path / "content" / "lexicon.txt").write_text("mg = milligrams please\nTylenol = tie len ol\n")
    (folder / "lexicon.txt").write_text("mg (any case) = milli grams\n")
    lexicon = load(folder, tmp_path / "content")
    assert lexicon.apply("5 MG of Tylenol, then e.g. rest")[0] == "5 milli grams of tie len ol, then for example rest"


@pytest.mark.parametrize("line, message", [
    ("D&C D and C", r"lexicon.txt:2: 'D&C D and C' has no '=': write the term as written, then '='"),
    ("= nothing", r"lexicon.txt:2: nothing before '=': write the term"),
    ("hCG =", r"lexicon.txt:2: nothing to say for 'hCG' after '=': write how to say it"),
    ("hCG = [[eItS]]", r"lexicon.txt:2: nothing to say for 'hCG'"),
    ("hCG = H <C> G", r"lexicon.txt:2: 'H <C> G' holds .* write how to say 'hCG' in plain letters"),
    ("(mg) = milligrams", r"lexicon.txt:2: '\(mg\)' must start with a letter or digit"),
    ("mg = twice", r"lexicon.txt:2: 'mg' is already on line 1: keep one entry per term"),
])
def test_bad_lines_name_the_file_line_and_fix(tmp_path, line, message):
    path = lexicon_file(tmp_path, f"mg = milligrams\n{line}\n")
    with pytest.raises(ContentError, match=message):
        read_lexicon(path)


def test_a_bad_lexicon_stops_the_build_with_file_and_line(tmp_path):
    folder = write_guide(tmp_path)
    (folder / "lexicon.txt").write_text("# ok\nhCG H C G\n")
    done = run_cli("build", str(tmp_path / "content"), "--out", str(tmp_path / "out"),
                   "--cache-dir", str(tmp_path / "c"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: {folder / 'lexicon.txt'}:2: ")


# The lexicon in the audio, not in the words --------------------------------

def test_every_starter_entry_changes_the_audio():
    lexicon = Lexicon(read_lexicon(STARTER))
    written = [f"Ask about the {term} today." for term in TERMS]
    spoken = [lexicon.apply(text)[0] for text in written]
    assert all(s != w for s, w in zip(spoken, written))
    voice = "en"
    plain, respelled = speak_all(ENGINE, voice, 150, written, 120), speak_all(ENGINE, voice, 150, spoken, 120)
    same = [term for term, a, b in zip(TERMS, plain, respelled) if a.samples == b.samples]
    assert same == [], f"entries that change nothing: {same}"


@pytest.fixture(scope="module")
def terms_edition(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terms")
    write_guide(tmp)
    options = BuildOptions(content_dir=tmp / "content", out_dir=tmp / "out", cache_dir=tmp / "cache", jobs=2)
    return build(options), options, tmp


def test_transcripts_tags_and_page_keep_the_written_words(terms_edition):
    result, options, _ = terms_edition
    edition = result.editions[0]
    folder = result.folder(edition)
    terms = edition.episodes[0]
    written = [f"Ask about the {term} today." for term in TERMS]
    assert [line.text for line in terms.lines[1:]] == written
    vtt = (folder / terms.files.vtt).read_text()
    text = (folder / terms.files.txt).read_text()
    lyrics = ID3(folder / terms.files.audio).getall("USLT")[0].text
    page = (folder / "index.html").read_text()
    for sentence in written:
        assert sentence in text and sentence in lyrics and sentence in vtt.replace("&amp;", "&")
        assert sentence.replace("&", "&amp;") in page
    for respelling in ("O B G Y N", "milligrams", "for example", "H C G"):
        assert respelling not in text + lyrics + vtt + page


def test_word_timings_point_at_written_words(terms_edition):
    result, _, _ = terms_edition
    for episode in result.editions[0].episodes:
        for line in episode.lines:
            offsets = [char for char, _ in line.words]
            times = [ms for _, ms in line.words]
            assert offsets == sorted(set(offsets)) and times == sorted(times), line
            assert line.start == times[0] and times[-1] < line.end
            starts = {m.start() for m in re.finditer(r"\S+", line.text)}
            assert set(offsets) <= starts, (line.text, offsets)
            # Every written word is reached, the term included: at most the closing word is merged.
            assert len(offsets) >= len(starts) - 1, (line.text, offsets)
    terms = result.editions[0].episodes[0]
    for line, term in zip(terms.lines[1:], TERMS):
        at = line.text.index(term)
        assert at in [char for char, _ in line.words], (term, line.words)


def test_a_lexicon_edit_speaks_only_the_sentences_it_touches(terms_edition, tmp_path):
    result, options, tmp = terms_edition
    content = tmp_path / "content"
    shutil.copytree(options.content_dir, content)
    edited = BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=options.cache_dir, jobs=2)
    (content / "lexicon.txt").write_text("Tylenol = tie len ol\n")  # one sentence of section 2
    again = build(edited)
    assert again.stats.engine_calls == 1 and again.stats.synthesized == 1 and again.stats.cached == 1
    before, after = tree(options.out_dir), tree(edited.out_dir)
    assert before[next(p for p in before if p.name == "01-terms.mp3")] == \
        after[next(p for p in after if p.name == "01-terms.mp3")]
    rest = [p for p in before if p.name == "02-rest.mp3"][0]
    assert before[rest] != after[rest]
    assert again.editions[0].episodes[1].lines[2].text == "Take Tylenol if your doctor agrees."

    (content / "lexicon.txt").write_text("Tylenol = tie len ol\nIUD (any case) = intra uterine device\n")
    twice = build(edited)
    assert twice.stats.engine_calls == 1 and twice.stats.synthesized == 1  # the IUD sentence only

    # An incremental build equals a clean one, byte for byte.
    clean = BuildOptions(content_dir=content, out_dir=tmp_path / "clean", cache_dir=tmp_path / "fresh", jobs=1)
    build(clean)
    assert tree(edited.out_dir) == tree(clean.out_dir)


# Every sentence spoken, proven by the engine's word events ----------------

class ShortEngine(EspeakEngine):
    """Stops speaking halfway through long sentences, as a failing engine might."""

    name = "short"

    def synthesize(self, text, voice, rate):
        words = text.split()
        if len(words) > 6:
            text = " ".join(words[:len(words) // 2])
        return super().synthesize(text, voice, rate)


def test_an_engine_that_stops_early_is_caught_and_the_section_named(tmp_path):
    options = BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", cache_dir=tmp_path / "c", jobs=2,
                           engine="tests.test_listening:ShortEngine")
    with pytest.raises(EngineError, match=r"section \d of 6, '[^']+': the speech engine failed twice .*did not "
                                          r"speak all of .*word events for \d+ words"):
        build(options)
    assert not (tmp_path / "out" / "journey-through-healing").exists()


# Pacing --------------------------------------------------------------------

def test_pacing_in_the_front_matter(tmp_path):
    folder = write_guide(tmp_path, FRONT.replace("---\n", "---\npacing: brisk\n", 1) + "\n## A\n\nText.\n")
    assert read_guide(folder / "guide.md").voice.rate == 175
    assert read_guide(folder / "guide.md").voice.pauses == PACING["brisk"].pauses
    (folder / "guide.md").write_text(FRONT.replace("---\n", "---\npacing: brisk\nrate: 160\npauses: {heading: 900}\n", 1)
                                     + "\n## A\n\nText.\n")
    voice = read_guide(folder / "guide.md").voice
    assert voice.rate == 160 and voice.pauses.heading == 900 and voice.pauses.sentence == 250
    calm = voice.paced("calm")  # --pacing calm: the guide's own rate and pause still win
    assert calm.rate == 160 and calm.pauses.heading == 900 and calm.pauses.sentence == 350
    (folder / "guide.md").write_text(FRONT.replace("---\n", "---\npacing: slow\n", 1) + "\n## A\n\nText.\n")
    with pytest.raises(ContentError, match=r"guide.md:2: 'pacing' must be one of calm, brisk, not 'slow'"):
        read_guide(folder / "guide.md")


def words_per_minute(result) -> float:
    episodes = result.editions[0].episodes
    words = sum(len(line.text.split()) for e in episodes for line in e.lines)
    return words * 60000 / sum(e.duration_ms for e in episodes)


def test_brisk_is_brisker_and_the_summary_says_how_brisk(edition, tmp_path):
    calm, _ = edition
    done = run_cli("build", str(CONTENT), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"),
                   "--pacing", "brisk", "--verbose")
    assert done.returncode == 0, done.stderr
    assert "at 175 wpm" in done.stdout
    per_section = re.findall(r"audio/\d\d-\S+\.mp3  \d+:\d\d  (\d+) words per minute", done.stdout)
    assert len(per_section) == 6
    brisk_wpm = float(re.search(r"\((\d+) words per minute with the pauses\)", done.stdout).group(1))
    calm_wpm = words_per_minute(calm)
    print(f"words per minute with the pauses: calm {calm_wpm:.0f}, brisk {brisk_wpm:.0f}")
    assert 115 <= calm_wpm <= 140 and 140 <= brisk_wpm <= 170 and brisk_wpm > calm_wpm + 15


def test_phonemes_go_to_engines_that_take_them(tmp_path):
    folder = write_guide(tmp_path, FRONT + "\n## Pain\n\nTake ibuprofen with food.\n")
    (folder / "lexicon.txt").write_text("ibuprofen = eye byoo proh fen [[aIbju:pr'oUf@n]]\n")
    lexicon = load(folder, tmp_path / "content")
    written = "Take ibuprofen with food."
    respelled, _ = lexicon.apply(written)
    phonemes, _ = lexicon.apply(written, phonemes=True)
    assert respelled == "Take eye byoo proh fen with food."
    assert phonemes == "Take [[aIbju:pr'oUf@n]] with food."
    plain, said, sounded = speak_all(ENGINE, "en", 150, [written, respelled, phonemes], 60)
    assert len({plain.samples, said.samples, sounded.samples}) == 3
    result = build(BuildOptions(content_dir=tmp_path / "content", out_dir=tmp_path / "out",
                                cache_dir=tmp_path / "c", jobs=1))
    line = result.editions[0].episodes[0].lines[1]
    assert line.text == written
    assert [char for char, _ in line.words] == [0, 5, 15, 20]


def test_word_offsets_count_characters_past_accents_and_curly_quotes():
    text = "It’s a café, they’ve said: rest."
    [speech] = speak_all(ENGINE, "en", 150, [text], 60)
    assert [text[char:].split()[0] for char, _ in speech.words] == ["It’s", "a", "café,", "they’ve", "said:", "rest."]
