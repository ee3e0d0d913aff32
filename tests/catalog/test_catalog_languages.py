"""Original languages: script and words of the ` // ` original title, the listings' countries, and the
corrected values served through the `language:` filter and kept in the cleaning report."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender import languages
from recommender.catalog import Catalog
from recommender.settings import bundled_catalog_path
from tests.resolution_catalog import full_catalog_recommender


@pytest.mark.parametrize(("text", "language"), [
    ("더 글로리: 시즌 1", "Korean"), ("ワンピース: アラバスタ編", "Japanese"), ("進撃の巨人", "Japanese"),
    ("鹿鼎記", "Chinese"), ("सेक्रेड गेम्स", "Hindi"), ("Майор Гром", "Russian"), ("Їжак", "Ukrainian"),
    ("ฉลาดเกมส์โกง", "Thai"), ("جن", "Arabic"), ("La casa de papel", None),
])
def test_script(text: str, language: str | None) -> None:
    assert languages.by_script(text) == language


@pytest.mark.parametrize(("text", "language"), [
    ("La casa de papel: Parte 1", "Spanish"), ("El inocente: Miniserie", "Spanish"),
    ("Gomorra: Stagione 2", "Italian"), ("Pax Massilia: Saison 1", "French"), ("Neumatt: Staffel 1", "German"),
    ("Diriliş: Ertuğrul: 3. Sezon", "Turkish"), ("13 Geboden: Seizoen 1", "Dutch"),
    ("Isso não é um culto", "Portuguese"), ("Hjem til jul: Sesong 1", "Norwegian"),
    ("Grave", None),  # no word says which language
    ("Perdida: Temporada 1", None),  # Spanish or Portuguese: a tie names none
])
def test_words(text: str, language: str | None) -> None:
    assert languages.by_words(text) == language


@pytest.mark.parametrize(("countries", "genres", "language"), [
    (["germany", "united states"], ["international", "drama"], "German"),  # Dark: Netflix co-produced
    (["germany", "united states"], ["action", "comedy"], None),  # Army of Thieves, in English
    (["france", "united states"], ["european", "animation"], None),  # co-listed US: `european` is not enough
    (["spain"], ["european", "drama"], "Spanish"),
    (["spain"], ["drama"], None),  # no listing files it as foreign
    (["germany", "france"], ["international"], None),  # two languages: unclear
    (["united kingdom"], ["international", "british"], None),
    (["india"], ["international"], None),  # many languages: never guessed from the country
])
def test_countries(countries: list[str], genres: list[str], language: str | None) -> None:
    assert languages.by_countries(countries, genres) == language


def test_an_english_production_with_a_foreign_name_stays_english() -> None:
    assert languages.infer("El Camino: A Breaking Bad Movie", "", ["united states"], ["crime"]) == (None, "")
    assert languages.infer("Selena: The Series: Part 1", "", ["mexico", "united states"], ["drama"]) == (None, "")
    # A Latin original title that differs from the English one is not English, even when no word says more.
    assert languages.infer("Raw", "Grave", [], []) == (languages.NON_ENGLISH, "original title")
    # Words that fit two languages leave it to the listings' countries.
    assert languages.infer("Elite: Season 1", "Élite: Temporada 1", ["spain"], ["international"]) == (
        "Spanish", "countries")


def test_only_english_and_non_english_labels_are_corrected() -> None:
    items = pd.DataFrame({
        "language": ["English", "Korean", "Non-English", "English", "Hindi"],
        "english_title": ["Money Heist: Part 1", "Kingdom: Season 1", "Elite: Season 1", "Wednesday", "Vikram"],
        "original_title": ["La casa de papel: Parte 1", "킹덤: 시즌 1", "", "", "விக்ரம்"],
        "country": ["spain", "south korea", "spain", "united states", "india"],
        "genres": ["international", "", "international, spanish-language", "comedy", ""],
    })
    corrected, report = languages.correct(items)
    assert corrected.tolist() == ["Spanish", "Korean", "Spanish", "English", "Hindi"]
    assert report.corrections == {"English -> specific language by words": 1,
                                  "Non-English -> specific language by countries": 1}
    assert report.examples == ["Money Heist: Part 1: English -> Spanish", "Elite: Season 1: Non-English -> Spanish"]


REAL_LANGUAGES = {
    "Money Heist: Part 1 // La casa de papel: Parte 1": "Spanish",
    "The Innocent: Limited Series // El inocente: Miniserie": "Spanish",
    "Toy Boy: Season 1": "Spanish",
    "Dark: Season 1": "German",
    "Lupin: Part 1": "French",
    "Elite: Season 1 // Élite: Temporada 1": "Spanish",
    "Barbarians // Barbaren": "German",
    "Wednesday: Season 1": "English",
    "The Glory: Season 1 // 더 글로리: 시즌 1": "Korean",
}


def test_the_bundled_catalog_knows_the_real_languages(bundled_enriched_catalog: Catalog) -> None:
    items = bundled_enriched_catalog.items.set_index("title")
    assert {title: items.loc[title, "language"] for title in REAL_LANGUAGES} == REAL_LANGUAGES
    # Every changed label is counted, and nothing else changed.
    raw = pd.read_csv(bundled_catalog_path(), dtype=str, keep_default_na=False).drop_duplicates("Title")
    label = raw.set_index("Title")["Language Indicator"].reindex(items.index)
    report = bundled_enriched_catalog.report
    assert sum(report.language_corrections.values()) == int((label != items["language"]).sum()) > 2_000
    assert (items.loc[label != items["language"], "language"] != "English").all()
    assert "language corrected for" in report.summary()


@pytest.fixture(scope="module")
def served(bundled_enriched_catalog: Catalog):
    return full_catalog_recommender(bundled_enriched_catalog)


@pytest.mark.parametrize(("query", "language"), [("Money Heist", "Spanish"), ("Dark", "German"), ("Lupin", "French")])
def test_hits_are_served_in_their_real_languages(served, query: str, language: str) -> None:
    assert served.recommend(query, k=5).query.language == language
    filtered = served.recommend(query, k=5, language=language.lower())  # the `language:` filter
    assert filtered.query.language == language
    assert len(filtered.items) == 5 and {r.item.language for r in filtered.items} == {language}
