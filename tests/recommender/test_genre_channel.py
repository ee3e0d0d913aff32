"""The genre channel compares kinds of titles, not where they are from (`channels.WHERE_TAGS`)."""

from __future__ import annotations

import pandas as pd

from recommender.ranking.channels import fit_text


def _cosine(genres: list[str], a: int, b: int) -> float:
    items = pd.DataFrame({"title": [f"Title {i}" for i in range(len(genres))], "genres": genres})
    matrix = fit_text(items)["genres"]
    return float(matrix[a].multiply(matrix[b]).sum())


def test_titles_sharing_only_where_they_are_from_are_not_alike_in_genre() -> None:
    genres = [
        "drama, international, spanish-language",  # a Colombian thriller telenovela
        "reality, international, spanish-language",  # a Spanish dating show
        "drama, thriller, international, spanish-language",
        "comedy, british",
        "reality, british",
        "anime, animation, action",
        "anime, comedy",
    ]
    assert _cosine(genres, 0, 1) == 0.0
    assert _cosine(genres, 3, 4) == 0.0
    assert _cosine(genres, 0, 2) > 0.5  # the drama they share is what counts
    assert _cosine(genres, 5, 6) > 0.0  # anime is a kind of title, not a place
