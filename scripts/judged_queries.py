"""Choose the judged set's queries from a model's catalog by a fixed rule (docs/judged-set.md).

The rule, in order:
1. Each row gets a group from what the work is: `anime` (genre anime, or Japanese origin with animation),
   `kids` (maturity kids, genre kids, or family maturity with animation; or named in `GROUP_OVERRIDES`),
   `non_english` (report language not English, an original title after ` // `, or a first listed country
   outside the English-speaking ones), else `film` (Movie) or `english_show` (Show). `GROUP_OVERRIDES`
   corrects the few works whose rows carry no listing to classify them by (written down, with why).
2. A work is (franchise, group): its most-watched row is the query title. So Squid Game (the Korean
   drama) and Squid Game: The Challenge (an English reality show) are two works.
3. Per group: the titles the task names first, then the most-watched other works, up to `PER_GROUP`,
   one work per franchise root word (`franchise_root`: the report splits Pokémon into four franchises).
   Works whose rows are stand-up specials are left out (nobody asks for "more like" one special).

The current lists play no part in the choice.

    PYTHONPATH=. python scripts/judged_queries.py --model-dir /work/models/base \
        --out recommender/data/judged/queries.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from recommender.artifacts import load_items

PER_GROUP = 20
GROUPS = ("english_show", "film", "anime", "kids", "non_english")
ENGLISH_COUNTRIES = {"united states", "united kingdom", "canada", "australia", "ireland", "new zealand"}
# Titles named in the task that must be queries (exact catalog titles: the work's most-watched row).
REQUIRED = (
    "Wednesday: Season 1", "Stranger Things 4", "The Crown: Season 6", "Bird Box", "CoComelon: Season 1",
    "Naruto: Season 1 // NARUTO-ナルト-: シーズン1", "The Glory: Season 1 // 더 글로리: 시즌 1",
    "Money Heist: Part 1 // La casa de papel: Parte 1", "Dark: Season 1", "Lupin: Part 3", "Toy Boy: Season 1",
    "The Innocent: Limited Series // El inocente: Miniserie", "Ginny & Georgia: Season 2", "Red Notice",
    "Pokémon The Series: Indigo League: Season 1 // ポケットモンスター", "Cobra Kai: Season 5",
    "Emily in Paris: Season 3", "Physical: 100: Season 1 // 피지컬: 100: 시즌 1", "Kingdom: Season 1 // 킹덤: 시즌 1",
    "The Witcher: Season 3", "The Night Agent: Season 1", "Squid Game: Season 1 // 오징어 게임: 시즌 1",
    "ONE PIECE: East Blue // ワンピース: イーストブルー編",
    "Demon Slayer: Kimetsu no Yaiba: Tanjiro Kamado, Unwavering Resolve Arc // 鬼滅の刃: 竈門炭治郎 立志編",
    "Peppa Pig: Season 1",
)
# franchise key -> group, for works whose rows have no listing (no genres, maturity unknown) or a wrong type.
GROUP_OVERRIDES = {
    "peppa pig": "kids",  # preschool cartoon, no listing
    "paw patrol": "kids",  # preschool cartoon, no listing
    "blippi s adventures": "kids",  # preschool, no listing
    "demon slayer": "anime",  # no listing; Japanese anime
    "pokémon the series indigo league": "anime",  # no listing; Japanese anime
    "pokémon ultimate journeys": "anime",
    "pokémon journeys": "anime",
    "queen charlotte a bridgerton story": "english_show",  # a limited series the report calls a movie
    "band of brothers": "english_show",  # miniseries the report calls a movie
    "the pacific": "english_show",  # miniseries the report calls a movie
    "is it cake too": "english_show",  # reality series the report calls a movie
    "chiquititas": "non_english",  # Brazilian telenovela (Portuguese) the report calls an English movie
    "aka": "non_english",  # French film (AKA, 2023) labelled English
    "sing": "kids",  # animated family film without a listing
    "the boss baby": "kids",  # animated family film without a listing
    "carrossel": "non_english",  # Brazilian telenovela (Portuguese) the report calls an English movie
}
# Words skipped when finding a franchise's root word (one work per root per group: Pokémon's sub-series).
_ROOT_SKIP = {"the", "a", "an", "my", "of"}


def franchise_root(key: str) -> str:
    """The first significant word of a franchise key: `pokémon journeys` and `pokémon the series indigo
    league` share `pokémon`, so a group holds one of them (the report splits sub-series into franchises)."""
    words = [w for w in str(key).split() if w not in _ROOT_SKIP]
    return words[0] if words else str(key)


def _has(genres: pd.Series, word: str) -> pd.Series:
    return genres.str.split(",").map(lambda parts: word in {p.strip() for p in parts})


def classify(items: pd.DataFrame) -> pd.Series:
    """Each row's group by the rule in the module docstring."""
    genres = items["genres"].fillna("").astype(str).str.lower()
    maturity = items["maturity"].fillna("unknown").astype(str)
    language = items["language"].fillna("").astype(str)
    original = items["original_title"].fillna("").astype(str).str.strip()
    first_country = items["country"].fillna("").astype(str).str.split(",").str[0].str.strip().str.lower()
    japanese = (language == "Japanese") | original.str.contains(r"[\u3040-\u30ff]", regex=True)
    non_english = (language != "English") | (original != "") | (
        (first_country != "") & ~first_country.isin(ENGLISH_COUNTRIES))
    animation = _has(genres, "animation")
    anime = _has(genres, "anime") | (japanese & animation)
    kids = (maturity == "kids") | _has(genres, "kids") | ((maturity == "family") & animation)
    show = items["content_type"].astype(str) == "Show"
    group = pd.Series("film", index=items.index)
    group[show] = "english_show"
    group[non_english] = "non_english"
    group[kids] = "kids"
    group[anime] = "anime"
    override = items["franchise_key"].map(GROUP_OVERRIDES)
    return override.fillna(group)


def choose(items: pd.DataFrame, per_group: int = PER_GROUP) -> pd.DataFrame:
    items = items.assign(group=classify(items))
    genres = items["genres"].fillna("").astype(str).str.lower()
    items = items[~_has(genres, "stand-up")]
    works = (items.sort_values(["hours_viewed", "item_id"], ascending=[False, True])
             .drop_duplicates(["franchise_key", "group"]))
    missing = set(REQUIRED) - set(works["title"])
    if missing:
        raise SystemExit(f"required titles are not their work's most-watched row: {sorted(missing)}")
    chosen = []
    for group in GROUPS:
        of_group = works[works["group"] == group]
        required = of_group[of_group["title"].isin(REQUIRED)]
        rest = of_group[~of_group["title"].isin(REQUIRED)]
        ordered = pd.concat([required, rest])
        ordered = ordered[~ordered["franchise_key"].map(franchise_root).duplicated()]
        picked = ordered.head(max(per_group, len(required)))
        chosen.append(picked.assign(required=picked["title"].isin(REQUIRED)))
    out = pd.concat(chosen)
    return out[["title", "group", "franchise_key", "hours_viewed", "required"]].rename(columns={"title": "query"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-group", type=int, default=PER_GROUP)
    args = parser.parse_args()
    root = args.model_dir
    version = root / (root / "CURRENT").read_text().strip() if (root / "CURRENT").is_file() else root
    queries = choose(load_items(version), args.per_group)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    queries.to_csv(args.out, index=False)
    print(queries.groupby("group").size().to_string())


if __name__ == "__main__":
    main()
