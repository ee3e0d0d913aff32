"""How a judge is shown a work: a short line naming its type, year, real language, rating and genres.

Why not the catalog's own fields as they are: the engagement report's language label is often wrong
(Money Heist, Dark and Lupin are labelled English), and judges must recognise the work, so the original
title's script and the first listed country say where it is spoken.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Script -> language of an original title; Latin-script originals take the first listed country's language.
_SCRIPTS = (
    (r"[\uac00-\ud7af]", "Korean"), (r"[\u3040-\u30ff]", "Japanese"), (r"[\u0e00-\u0e7f]", "Thai"),
    (r"[\u0900-\u097f]", "Hindi"), (r"[\u0600-\u06ff]", "Arabic"), (r"[\u0400-\u04ff]", "Russian"),
    (r"[\u4e00-\u9fff]", "Chinese"),
)
_COUNTRY_LANGUAGE = {
    "spain": "Spanish", "mexico": "Spanish", "colombia": "Spanish", "argentina": "Spanish", "chile": "Spanish",
    "peru": "Spanish", "france": "French", "belgium": "French", "germany": "German", "austria": "German",
    "brazil": "Portuguese", "portugal": "Portuguese", "italy": "Italian", "turkey": "Turkish", "poland": "Polish",
    "sweden": "Swedish", "norway": "Norwegian", "denmark": "Danish", "netherlands": "Dutch", "japan": "Japanese",
    "south korea": "Korean", "india": "Hindi", "china": "Chinese", "taiwan": "Chinese", "thailand": "Thai",
    "indonesia": "Indonesian", "philippines": "Filipino", "egypt": "Arabic", "nigeria": "English",
    "russia": "Russian", "iceland": "Icelandic", "finland": "Finnish", "israel": "Hebrew",
}
_ENGLISH = {"united states", "united kingdom", "canada", "australia", "ireland", "new zealand"}


def original_language(row: pd.Series) -> str:
    """The work's original language for a judge: an original title's script, else the report's label
    when it names a language, else the first listed country's language."""
    original = str(row.get("original_title") or "").strip()
    if original in {"", "nan"}:
        original = ""
    for pattern, language in _SCRIPTS:
        if original and re.search(pattern, original):
            return language
    country = str(row.get("country") or "").split(",")[0].strip().lower()
    label = str(row.get("language") or "")
    if label not in {"English", "Non-English", "", "nan"}:
        return label
    if country in _COUNTRY_LANGUAGE and country not in _ENGLISH:
        return _COUNTRY_LANGUAGE[country]
    if original or label == "Non-English":
        return "not English"
    return "English" if label == "English" else "unknown"


def describe(row: pd.Series) -> str:
    """A short identification of a work for judges: type, year, language, rating, genres, description."""
    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()

    year = text("release_year")
    parts = [text("content_type") or "title", year.split(".")[0] if year else "year unknown",
             original_language(row)]
    original = text("original_title")
    if original:
        parts.append(f"original title: {original}")
    country = text("country")
    if country:
        parts.append(f"country: {country}")
    rating = text("certification") or text("rating")
    if rating:
        parts.append(f"rated {rating}")
    genres = text("genres")
    parts.append(f"genres: {genres}" if genres else "genres unknown")
    description = text("description")
    if description:
        parts.append(description[:100] + ("…" if len(description) > 100 else ""))
    return "; ".join(parts)
