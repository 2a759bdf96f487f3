"""The words audio-guide adds around a guide's own (announcements, the
listening page and its script, the catalog, the feed's descriptions, the
HTML transcript, the handout), per language.

A guide's language picks its table by its primary subtag (es-MX reads
``es``); a language without a table, or a string a table lacks, falls back
to English. To add a language, add a table with the same keys: the values
are ``str.format`` templates. Arabic and Hebrew have modules of their own
(arabic.py, hebrew.py); neither has yet been read by a native speaker.

A count ("3 sections") takes the form its language gives that number: the
table may hold a key for each of the CLDR plural categories (section_zero,
_one, _two, _few, _many, _other); one it lacks falls back to _one for 1 and
_many for any other number, the two every table has.

Which languages are written right to left is said here too (direction), for
the pages, the transcripts and the handout alike.
"""

from __future__ import annotations

from typing import Iterable

from . import arabic, hebrew

ENGLISH = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # Spoken before each section (script.announcement).
        "announcement": "{guide} Section {number} of {total}: {section}",
        # The first announcement's title: the title line as the guide gives it.
        "full_title": "{title}: {subtitle}",
        # The full edition's title (ID3, M4B).
        "complete": "{guide}: complete guide",
        # The HTML transcript.
        "transcript_title": "Transcript: {section} ({guide})",
        "transcript_meta": "{guide}: section {number} of {total}, {length} of audio.",
        "transcript_download": "Download the audio (MP3)",
        # The listening page.
        "page_title": "{title} (audio guide)",
        "skip": "Skip to the guide",
        "section_one": "{count} section",
        "section_many": "{count} sections",
        "facts": "{sections}, {length} in all. Every section has its words to read along.",
        "catalog_facts": "{sections}, {length} in all",
        "contents": "Sections",
        "how_to_js": "Press Play on any section. The sentence being read is highlighted, and you can select any "
                     "sentence to listen from there. You can change the speed, go back {back} seconds or forward "
                     "{forward} seconds. Take your time: you can stop whenever you need to and come back later.",
        "how_to_no_js": "Each section has its own player and the words it reads. Select any sentence to hear the "
                        "audio from that point. Take your time: you can stop whenever you need to and come back "
                        "later.",
        "section_of": "Section {number} of {total}",
        "length": "Length",
        "download_audio_of": "Download the audio of {title}",
        "captions": "Captions",
        "controls": "Player controls: {title}",
        "play": "Play",
        "back": "Back",
        "forward": "Forward",
        "seconds": "{count} seconds",
        "speed": "Speed",
        "normal": "normal",
        # Written by the page's script.
        "js_play": "Play",
        "js_pause": "Pause",
        "js_now_playing": "Now playing",
        "js_audio_error": "This audio could not be played here. You can download it below, or read its words.",
        "js_copied": "Copied. Now paste it into your podcast app.",
        "js_copy_failed": "Could not copy here. The address is selected: copy it with your device’s Copy.",
        "parts": "Parts",
        "web_page": "Web page",
        "plain_text": "Plain text",
        "srt": "SRT subtitles",
        "vtt": "WebVTT captions",
        "transcript_of": ", transcript of {title}",
        "download": "Download",
        "audio_to_keep": "The audio, to keep:",
        "mp3_audio": "MP3 audio",
        "of_title": " of {title}",
        "transcript_to_read": "The transcript, to read or print:",
        "read_along": "Read along",
        "hint_js": "Select a sentence to listen from there. The arrow keys move from sentence to sentence.",
        "hint_no_js": "Each sentence links to the audio at that point.",
        "whole_title": "The whole guide in one file",
        "whole_mp3": "MP3 audio of the whole guide",
        "audiobook": "Audiobook with chapters",
        # The read-along book (build --format epub): its link on the page, and its own words.
        "book": "Read-along book, the words highlighted as they are read",
        "whole_book": "The read-along book (EPUB) highlights each sentence as it is read, in reading apps such as "
                      "Thorium, Readest or Apple Books.",
        "book_read_along": "Play this book in a reading app that reads aloud, such as Thorium, Readest or Apple "
                           "Books: each sentence is highlighted as it is read. You can also simply read it.",
        "book_read_by_computer": "Read aloud by a computer voice from the written guide. The words in this book "
                                 "are the guide’s own.",
        "book_title_page": "Title page",
        "book_start": "Start of the guide",
        "book_landmarks": "Landmarks",
        "book_summary": "The whole guide as text, with its audio read aloud by a computer voice. Each sentence is "
                        "highlighted as it is read (media overlays), and every word of the text is also in the "
                        "audio, so it can be read, heard, or both. Headings, lists and a table of contents by "
                        "section and part help you find your way. Nothing flashes or moves.",
        "handout": "Printable sheet with a QR code, to share this page",
        "handout_detail": "(PDF, one page)",
        "whole_text": "All {sections}, one after another, to keep on your phone and listen to offline.",
        "whole_audiobook": "The audiobook remembers your place in apps such as Apple Books.",
        "subscribe_title": "Listen in a podcast app",
        "subscribe_text": "Follow this guide as a podcast: your app downloads every section, keeps your place, and "
                          "plays with the screen locked.",
        "local_note": "This copy is for trying the guide out on the computer that made it: the feed address works "
                      "only there until the guide is published at its public address.",
        "open_in_app": "Open it in your app",
        "by_address": "Or add it by its address",
        "paste": "In your podcast app, choose “Add by address” or “Follow a show by URL” and paste this:",
        "feed_address": "Podcast feed address:",
        "copy": "Copy address",
        "rss": "RSS feed",
        "rss_detail": "(for feed readers)",
        "read_by_computer": "Read aloud by a computer voice from the written guide. The words on this page are the "
                            "guide’s own.",
        "published": "Published {date}",
        "updated": "updated {date}",
        "license": "License:",
        "shared_by": "Shared by {clinic}.",
        "clinic_logo": "Clinic logo",
        "date": "{day} {month} {year}",
        # The catalog of several guides (and the title of their OPML list).
        "catalog_title": "Audio guides",
        "catalog_title_from": "Audio guides from {clinic}",
        "catalog_skip": "Skip to the guides",
        "catalog_intro": "Each guide is read aloud, with its words to read along. Listen here, download it, or "
                         "follow it in a podcast app.",
        "catalog_opml": "{link}, for podcast apps that import a list.",
        "catalog_opml_link": "All the podcast feeds in one file (OPML)",
        # An episode's description in the feed (the channel's ends with shared_by).
        "feed_transcript": "Read the transcript",
        "feed_page": "Listen on the page",
        "months": "January February March April May June July August September October November December",
        # The printable handout.
        "handout_scan": "Listen on your phone: scan the code",
        "handout_camera": "Open your phone’s camera and point it at the code, then tap the link that appears.",
        "handout_type": "Or type this address into a web browser:",
        "handout_podcast": "Or follow it in a podcast app",
        "handout_by_url": "In your app, choose to add a show by URL, then enter:",
        "handout_hear": "What you will hear",
        "handout_more_one": "and {count} more section: the listening page lists them all.",
        "handout_more_many": "and {count} more sections: the listening page lists them all.",
        "handout_all": "The listening page lists all {count} sections.",
        "handout_total_all": "Total, all {count} sections",
        "handout_total": "Total",
        "handout_licence": "Licence: {licence}",
        # The QR code's SVG (qr.svg), read out by screen readers.
        "qr_title": "QR code: {url}",
        "qr_desc": "Scan with a phone camera to open {url}",
    },
    "es": {
        "announcement": "{guide} Sección {number} de {total}: {section}",
        "full_title": "{title}: {subtitle}",
        "complete": "{guide}: guía completa",
        "transcript_title": "Transcripción: {section} ({guide})",
        "transcript_meta": "{guide}: sección {number} de {total}, {length} de audio.",
        "transcript_download": "Descargar el audio (MP3)",
        "page_title": "{title} (guía en audio)",
        "skip": "Ir a la guía",
        "section_one": "{count} sección",
        "section_many": "{count} secciones",
        "facts": "{sections}, {length} en total. Cada sección tiene su texto para leer mientras escucha.",
        "catalog_facts": "{sections}, {length} en total",
        "contents": "Secciones",
        "how_to_js": "Pulse Reproducir en cualquier sección. La frase que se está leyendo aparece resaltada, y "
                     "puede elegir cualquier frase para escuchar desde ahí. Puede cambiar la velocidad, retroceder "
                     "{back} segundos o avanzar {forward} segundos. Tómese su tiempo: puede parar cuando lo "
                     "necesite y volver más tarde.",
        "how_to_no_js": "Cada sección tiene su propio reproductor y el texto que lee. Elija cualquier frase para "
                        "escuchar el audio desde ese punto. Tómese su tiempo: puede parar cuando lo necesite y "
                        "volver más tarde.",
        "section_of": "Sección {number} de {total}",
        "length": "Duración",
        "download_audio_of": "Descargar el audio de {title}",
        "captions": "Subtítulos",
        "controls": "Controles del reproductor: {title}",
        "play": "Reproducir",
        "back": "Retroceder",
        "forward": "Avanzar",
        "seconds": "{count} segundos",
        "speed": "Velocidad",
        "normal": "normal",
        "js_play": "Reproducir",
        "js_pause": "Pausa",
        "js_now_playing": "Reproduciendo",
        "js_audio_error": "Este audio no se puede reproducir aquí. Puede descargarlo más abajo o leer su texto.",
        "js_copied": "Copiada. Ahora péguela en su aplicación de pódcast.",
        "js_copy_failed": "No se pudo copiar aquí. La dirección está seleccionada: cópiela con la función Copiar "
                          "de su dispositivo.",
        "parts": "Partes",
        "web_page": "Página web",
        "plain_text": "Texto sin formato",
        "srt": "Subtítulos SRT",
        "vtt": "Subtítulos WebVTT",
        "transcript_of": ", transcripción de {title}",
        "download": "Descargar",
        "audio_to_keep": "El audio, para guardarlo:",
        "mp3_audio": "Audio MP3",
        "of_title": " de {title}",
        "transcript_to_read": "La transcripción, para leerla o imprimirla:",
        "read_along": "Leer mientras escucha",
        "hint_js": "Elija una frase para escuchar desde ahí. Las flechas del teclado pasan de una frase a otra.",
        "hint_no_js": "Cada frase enlaza con el audio en ese punto.",
        "whole_title": "La guía completa en un solo archivo",
        "whole_mp3": "Audio MP3 de la guía completa",
        "audiobook": "Audiolibro con capítulos",
        "book": "Libro para leer mientras escucha, con el texto resaltado a medida que se lee",
        "whole_book": "El libro para leer mientras escucha (EPUB) resalta cada frase a medida que se lee, en "
                      "aplicaciones de lectura como Thorium, Readest o Apple Books.",
        "book_read_along": "Abra este libro en una aplicación de lectura que lea en voz alta, como Thorium, Readest "
                           "o Apple Books: cada frase se resalta a medida que se lee. También puede simplemente "
                           "leerlo.",
        "book_read_by_computer": "Leído en voz alta por una voz de ordenador a partir de la guía escrita. El texto "
                                 "de este libro es el de la propia guía.",
        "book_title_page": "Portada",
        "book_start": "Inicio de la guía",
        "book_landmarks": "Puntos de referencia",
        "book_summary": "La guía completa en texto, con su audio leído en voz alta por una voz de ordenador. Cada "
                        "frase se resalta a medida que se lee (superposiciones de medios), y cada palabra del texto "
                        "está también en el audio, así que puede leerse, escucharse o ambas cosas. Los títulos, "
                        "las listas y un índice por secciones y partes ayudan a orientarse. Nada parpadea ni se "
                        "mueve.",
        "handout": "Hoja para imprimir con un código QR, para compartir esta página",
        "handout_detail": "(PDF, una página)",
        "whole_text": "Las {sections}, una tras otra, para guardarlas en el teléfono y escucharlas sin conexión.",
        "whole_audiobook": "El audiolibro recuerda por dónde iba en aplicaciones como Apple Books.",
        "subscribe_title": "Escuchar en una aplicación de pódcast",
        "subscribe_text": "Siga esta guía como un pódcast: su aplicación descarga cada sección, recuerda por "
                          "dónde iba y la reproduce con la pantalla bloqueada.",
        "local_note": "Esta copia sirve para probar la guía en el ordenador que la creó: la dirección del canal "
                      "solo funciona allí hasta que la guía se publique en su dirección pública.",
        "open_in_app": "Ábrala en su aplicación",
        "by_address": "O añádala por su dirección",
        "paste": "En su aplicación de pódcast, elija «Añadir por dirección» o «Seguir por URL» y pegue esto:",
        "feed_address": "Dirección del canal del pódcast:",
        "copy": "Copiar la dirección",
        "rss": "Canal RSS",
        "rss_detail": "(para lectores de canales)",
        "read_by_computer": "Leído en voz alta por una voz de ordenador a partir de la guía escrita. El texto de "
                            "esta página es el de la propia guía.",
        "published": "Publicado el {date}",
        "updated": "actualizado el {date}",
        "license": "Licencia:",
        "shared_by": "Compartido por {clinic}.",
        "clinic_logo": "Logotipo de la clínica",
        "date": "{day} de {month} de {year}",
        "catalog_title": "Guías en audio",
        "catalog_title_from": "Guías en audio de {clinic}",
        "catalog_skip": "Ir a las guías",
        "catalog_intro": "Cada guía se lee en voz alta, con su texto para leer mientras escucha. Escúchela aquí, "
                         "descárguela o sígala en una aplicación de pódcast.",
        "catalog_opml": "{link}, para las aplicaciones de pódcast que importan una lista.",
        "catalog_opml_link": "Todos los canales de pódcast en un solo archivo (OPML)",
        "feed_transcript": "Leer la transcripción",
        "feed_page": "Escuchar en la página",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "handout_scan": "Escuche en su teléfono: escanee el código",
        "handout_camera": "Abra la cámara del teléfono, apúntela al código y toque el enlace que aparece.",
        "handout_type": "O escriba esta dirección en un navegador web:",
        "handout_podcast": "O sígala en una aplicación de pódcast",
        "handout_by_url": "En su aplicación, elija añadir un programa por URL y escriba:",
        "handout_hear": "Lo que va a escuchar",
        "handout_more_one": "y {count} sección más: la página para escuchar las muestra todas.",
        "handout_more_many": "y {count} secciones más: la página para escuchar las muestra todas.",
        "handout_all": "La página para escuchar muestra las {count} secciones.",
        "handout_total_all": "Total, las {count} secciones",
        "handout_total": "Total",
        "handout_licence": "Licencia: {licence}",
        "qr_title": "Código QR: {url}",
        "qr_desc": "Escanéelo con la cámara del teléfono para abrir {url}",
    },
}


STRINGS["ar"] = arabic.STRINGS
STRINGS["he"] = hebrew.STRINGS

# Written right to left: these primary language subtags, unless a script
# subtag says otherwise (az-Arab is, ku-Latn is not).
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "samr", "mand"})


def direction(language: str) -> str:
    """"rtl" if ``language`` (a BCP 47 tag) is written right to left, else "ltr"."""
    primary, *rest = language.lower().split("-")
    script = next((part for part in rest if len(part) == 4 and part.isalpha()), None)
    if script:
        return "rtl" if script in RTL_SCRIPTS else "ltr"
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


def table(language: str) -> dict[str, str]:
    """The strings for ``language`` (a BCP 47 tag), English where it has none."""
    own = STRINGS.get(language.split("-")[0].lower(), {})
    return {**STRINGS[ENGLISH], **own}


def shared_language(languages: Iterable[str]) -> str:
    """The language of what lists several guides (the catalog, the OPML
    list): theirs when they share one (es and es-MX share es), else English."""
    distinct = {language.split("-")[0].lower() for language in languages}
    return distinct.pop() if len(distinct) == 1 else ENGLISH


def text(language: str, key: str, **values: object) -> str:
    return table(language)[key].format(**values)


def plural(language: str, number: int) -> str:
    """The CLDR plural category of a whole ``number`` in ``language``, for the
    languages whose tables tell the categories apart."""
    primary = language.split("-")[0].lower()
    if primary == "ar":
        rest = number % 100
        return ("zero" if number == 0 else "one" if number == 1 else "two" if number == 2
                else "few" if 3 <= rest <= 10 else "many" if 11 <= rest <= 99 else "other")
    if primary == "he":
        return "one" if number == 1 else "two" if number == 2 else "other"
    return "one" if number == 1 else "other"


def count(language: str, number: int, key: str = "section") -> str:
    """'1 section', '3 sections' in ``language``."""
    words = table(language)
    name = f"{key}_{plural(language, number)}"
    if name not in words:
        name = f"{key}_one" if number == 1 else f"{key}_many"
    return words[name].format(count=number)


def month(language: str, number: int) -> str:
    return table(language)["months"].split()[number - 1]
