"""The original language of a title, where the report's `Language Indicator` is clearly wrong.

The engagement report calls *Money Heist*, *Dark*, *Lupin*, *Toy Boy* and *El inocente* English, so
their lists held no Spanish, German or French titles and the `language:` filter hid them. Three
kinds of evidence are reliable enough to overrule the label:

- the original title after ` // `: its script (Hangul is Korean, kana Japanese, Devanagari Hindi, ...)
  or, in Latin script, its words (`La casa de papel: Parte 1` is Spanish by `la`, `de`, `parte`);
- a language a listing names outright (Wikipedia's list of Netflix originals, `original_language`:
  `Ragnarok` is Norwegian), after the script and before the words, since it names the work's own
  language where words only suggest one;
- the listings' production countries, when the first listed country speaks one language that is not
  English, every other listed country speaks it too or is the United States (Netflix co-produces and
  is credited: `Dark` is `germany, united states`), and a listing files the title as foreign
  (`international`, `european`, `spanish-language`, `korean`, `anime`; with the US co-listed only
  `international` and the language tags count: `Taken 2`, `Stuart Little` and `Selena: The Series` are US
  co-productions in English).

Only `English`, `Non-English` and unknown labels are corrected; the report's specific labels (Korean,
Japanese, Hindi, Russian) are kept. A Latin original title whose words name no single language takes
the countries' language (`Élite: Temporada 1` is Spanish or Portuguese by its words; Spain says which),
else still says "not English" (`Raw // Grave`). Evidence that is not clear (mixed countries, no foreign
filing) changes nothing: an English production with a foreign title stays English.

The corrected values are finer than the report's six (`Spanish`, `German`, `French`, ...): the
`language:` filter and the `same_language` channel take whatever values the catalog holds, and a
Money Heist fan wants Spanish titles, not any non-English one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from recommender.tables import split_list

ENGLISH = "English"
NON_ENGLISH = "Non-English"
CORRECTABLE = frozenset({ENGLISH, NON_ENGLISH, "Unknown", ""})

# Scripts in the order they are tested: kana before Han (Japanese titles mix both).
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((lang, re.compile(pattern)) for lang, pattern in (
    ("Korean", r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    ("Japanese", r"[\u3040-\u30ff\u31f0-\u31ff]"),
    ("Chinese", r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    ("Hindi", r"[\u0900-\u097f]"),
    ("Bengali", r"[\u0980-\u09ff]"),
    ("Punjabi", r"[\u0a00-\u0a7f]"),
    ("Gujarati", r"[\u0a80-\u0aff]"),
    ("Tamil", r"[\u0b80-\u0bff]"),
    ("Telugu", r"[\u0c00-\u0c7f]"),
    ("Kannada", r"[\u0c80-\u0cff]"),
    ("Malayalam", r"[\u0d00-\u0d7f]"),
    ("Thai", r"[\u0e00-\u0e7f]"),
    ("Ukrainian", r"[ЄІЇҐєіїґ]"),
    ("Russian", r"[\u0400-\u04ff]"),
    ("Greek", r"[\u0370-\u03ff]"),
    ("Hebrew", r"[\u0590-\u05ff]"),
    ("Arabic", r"[\u0600-\u06ff]"),
))

# Words (casefolded) that belong to one language's titles: function words and the words for season,
# part, series. Only words that are not also English words or common in another listed language.
_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "Spanish": "el los las del y hay una unos por para con sin su sus temporada parte miniserie serie amor "
               "vida mujer hombre noche mundo muerte casa cómo qué quién más señor niña niños hijos historia",
    "Portuguese": "os do da das um uma não em nos nas com ao às temporada é parte vida amor "
                  "coração filho filha minha meu mulher",
    "French": "le les des du un une et au aux sur dans pour avec saison partie qui vie amour femme "
              "homme nuit monde fille c'est l'amour",
    "Italian": "il gli della dello delle dei degli un una per stagione parte vita amore "
               "donna uomo notte mondo chi trova amico",
    "German": "der die das und ein eine einer den dem des mit für auf ist ich nicht staffel teil liebe "
              "leben frau mann nacht welt meine mein",
    "Dutch": "het een van op voor niet seizoen deel liefde leven vrouw nacht wereld mijn",
    "Turkish": "bir ve ile sezon aşk hayat kadın adam gece dünya benim",
    "Polish": "nie się sezon część miłość życie kobieta noc świat",
    "Swedish": "och ett av på för med säsong kärlek liv kvinna natt världen",
    "Norwegian": "og av på med sesong kjærlighet kvinne natt verden jul",
    "Danish": "og af på med sæson kærlighed kvinde nat verden",
    "Finnish": "ja kausi osa rakkaus elämä nainen yö maailma",
    "Indonesian": "dan yang ke dari untuk dengan musim bagian cinta hidup perempuan malam dunia",
    "Tagalog": "ang ng mga sa kay panahon pag-ibig buhay",
}.items()}
# Letters that only some of the languages above write.
_LETTERS: dict[str, str] = {
    "Spanish": "ñ¿¡", "Portuguese": "ãõ", "German": "ß", "Turkish": "ışğİ", "Polish": "łśźżńęą",
    "Danish": "æø", "Norwegian": "æø", "Swedish": "", "French": "œ", "Italian": "",
}
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

# First listed production country -> its one language (English-speaking and multilingual countries,
# India, Belgium, Switzerland, Canada..., are left out on purpose).
COUNTRY_LANGUAGES: dict[str, str] = {
    "spain": "Spanish", "mexico": "Spanish", "argentina": "Spanish", "colombia": "Spanish", "chile": "Spanish",
    "peru": "Spanish", "uruguay": "Spanish", "venezuela": "Spanish", "ecuador": "Spanish", "cuba": "Spanish",
    "germany": "German", "austria": "German", "france": "French", "italy": "Italian",
    "brazil": "Portuguese", "portugal": "Portuguese", "turkey": "Turkish", "türkiye": "Turkish",
    "poland": "Polish", "netherlands": "Dutch", "sweden": "Swedish", "norway": "Norwegian",
    "denmark": "Danish", "finland": "Finnish", "indonesia": "Indonesian", "japan": "Japanese",
    "south korea": "Korean", "thailand": "Thai", "russia": "Russian", "russian federation": "Russian",
    "china": "Chinese", "taiwan": "Chinese", "israel": "Hebrew", "egypt": "Arabic", "saudi arabia": "Arabic",
    "greece": "Greek", "iceland": "Icelandic", "czech republic": "Czech", "czechia": "Czech",
    "hungary": "Hungarian", "romania": "Romanian",
}
CO_PRODUCER = "united states"
# Genre tags by which a listing files a title as foreign; with the US co-listed only the strong ones count.
FOREIGN_TAGS = frozenset({"international", "european", "spanish-language", "korean", "anime"})
STRONG_FOREIGN_TAGS = FOREIGN_TAGS - {"european", "anime"}  # `The Witcher: Nightmare of the Wolf` is anime


def by_script(text: str) -> str | None:
    """The language a non-Latin script names (`종이의 집` -> Korean), else None."""
    return next((lang for lang, pattern in _SCRIPTS if pattern.search(text)), None)


def by_words(text: str) -> str | None:
    """The one language whose title words or letters `text` uses most; None when none or a tie."""
    tokens = [m.group().casefold() for m in _TOKEN.finditer(text)]
    scores = {
        lang: sum(tok in words for tok in tokens) + sum(ch in _LETTERS.get(lang, "") for ch in text.casefold())
        for lang, words in _WORDS.items()
    }
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] == 0 or ranked[0] == ranked[1]:
        return None
    return max(scores, key=lambda lang: scores[lang])


def by_countries(countries: Iterable[str], genres: Iterable[str] = ()) -> str | None:
    """The language of the first production country when every other one speaks it or is the US and
    the listing's genres file the title as foreign (see the module docstring)."""
    listed = [c for c in countries if c]
    if not listed or listed[0] not in COUNTRY_LANGUAGES:
        return None
    language = COUNTRY_LANGUAGES[listed[0]]
    if not all(c == CO_PRODUCER or COUNTRY_LANGUAGES.get(c) == language for c in listed[1:]):
        return None
    tags = FOREIGN_TAGS if CO_PRODUCER not in listed else STRONG_FOREIGN_TAGS
    return language if tags.intersection(genres) else None


def infer(
    english_title: str, original_title: str, countries: Iterable[str], genres: Iterable[str] = (),
    listed: str = "",
) -> tuple[str | None, str]:
    """(language, evidence) from a title's two halves, the language a listing names (`listed`, e.g.
    Wikipedia's list of Netflix originals) and its listings' countries and genres; (None, "") when unclear."""
    original = original_title.strip()
    script = by_script(original) or by_script(english_title)
    if script:
        return script, "script"
    if listed and listed != ENGLISH:
        return listed, "listing"
    country = by_countries(countries, genres)
    if original and original.casefold() != english_title.strip().casefold():
        words = by_words(original)
        if words:
            return words, "words"
        # `Élite: Temporada 1` is Spanish or Portuguese by its words; the listings say Spain.
        return (country, "countries") if country else (NON_ENGLISH, "original title")
    return (country, "countries") if country else (None, "")


@dataclass
class LanguageReport:
    """What was corrected: evidence -> items, and a few examples `title: old -> new`."""

    corrections: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def correct(items: pd.DataFrame, examples: int = 6) -> tuple[pd.Series, LanguageReport]:
    """Each item's language: the report's label unless it is English/Non-English/unknown and the
    evidence names another language. `items` needs `language`, `english_title`, `original_title` and
    (optionally) `country` and `genres` (the listings' merged, `, `-separated lists) and
    `original_language` (a listing's named language)."""
    report = LanguageReport()
    languages = items["language"].astype(str).to_numpy(dtype=object).copy()
    empty = pd.Series("", index=items.index)
    countries, genres, listed = (items[c].fillna("").astype(str) if c in items else empty
                                 for c in ("country", "genres", "original_language"))
    for i, (label, english, original, country, genre, named) in enumerate(zip(
        languages, items["english_title"].astype(str), items["original_title"].astype(str),
        countries, genres, listed, strict=True,
    )):
        if label not in CORRECTABLE:
            continue
        language, evidence = infer(english, original, split_list(country), split_list(genre), named)
        if language is None or language == label or (label == NON_ENGLISH and language == NON_ENGLISH):
            continue
        if language == ENGLISH:
            continue
        key = f"{label} -> {'specific language' if language != NON_ENGLISH else NON_ENGLISH} by {evidence}"
        report.corrections[key] = report.corrections.get(key, 0) + 1
        if len(report.examples) < examples:
            report.examples.append(f"{english}: {label} -> {language}")
        languages[i] = language
    return pd.Series(languages, index=items.index, dtype=object), report
