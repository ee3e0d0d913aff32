"""Spin-offs, films and remakes share their franchise's key over the real bundled catalog, and titles
that merely start with the same common word do not (recommender/franchise.py)."""

from __future__ import annotations

import pytest

from recommender import titles as t
from recommender.catalog import Catalog
from recommender.franchise import fold_franchises

# Each group is one franchise for a list's purposes.
SAME_FRANCHISE = {
    "naruto": [
        "Naruto: Season 1 // NARUTO-ナルト-: シーズン1",
        "Naruto Shippuden: Season 1 // NARUTO-ナルト- 疾風伝: 風影奪還編",
        "Boruto: Naruto Next Generations: Season 1 // BORUTO ボルト NEXT GENERATIONS: シーズン1",
        "Boruto: Naruto Next Generations: Chunin Exam // BORUTO ボルト NEXT GENERATIONS: 中忍試験編",
        "Boruto: Naruto the Movie",
        "The Last: Naruto the Movie",
        "Naruto the Movie: Ninja Clash in the Land of Snow // 劇場版 NARUTO -ナルト- 大活劇! 雪姫忍法帖だってばよ!!",
        "Naruto Shippuden: The Movie // 劇場版 NARUTO -ナルト- 疾風伝",
        "Naruto Shippûden the Movie: Bonds // 劇場版 NARUTO -ナルト- 疾風伝 絆",
        "Naruto Shippûden the Movie: The Will of Fire // 劇場版 NARUTO -ナルト- 疾風伝 火の意志を継ぐ者",
    ],
    "money heist": [
        "Money Heist: Part 1 // La casa de papel: Parte 1",
        "Money Heist: Part 5 // La casa de papel: Parte 5",
        "Money Heist: From Tokyo to Berlin: Volume 2 // La casa de papel: de Tokio a Berlín: Volumen 2",
        "Money Heist: The Phenomenon // La casa de papel: El fenómeno",
        "Money Heist: Korea - Joint Economic Area: Season 1 // 종이의 집: 공동경제구역: 시즌 1",
    ],
    "one piece": [
        "ONE PIECE: East Blue // ワンピース: イーストブルー編",
        "ONE PIECE: Alabasta // ワンピース: アラバスタ編",
        "ONE PIECE: Wano Country (Ep.1001 - ) // ワンピース: ワノ国編 (1001話～)",
        "One Piece: Episode of Alabasta // ワンピース エピソード・オブ・アラバスタ 砂漠の王女と海賊たち",
    ],
    "attack on titan": [
        "Attack on Titan: Season 1 // 進撃の巨人: シーズン1",
        "Attack on Titan: Season 3 Part 2 // 進撃の巨人: シーズン3 パート2",
        "Attack on Titan: The Final Season Part 3 // 進撃の巨人: ファイナルシーズン パート3",
        "Attack on Titan OAD Series // 進撃の巨人 OAD シリーズ",
    ],
    "elite": [  # `elite` is a common word: followed because the original titles start with `Élite`
        "Elite: Season 7 // Élite: Temporada 7",
        "Elite Short Stories: Nadia Guzmán: Season 1 // Élite historias breves: Nadia Guzmán: Temporada 1",
    ],
    "pokémon journeys": [  # no title is just `Pokémon`: the known-franchise table names it
        "Pokémon The Series: Indigo League: Season 1 // ポケットモンスター",
        "Pokémon Journeys: The Series: Season 1",
        "Pokémon Horizons: The Series: Part1 // ポケットモンスター リコとロイの旅立ち: Part1",
        "Pokémon Concierge: Season 1 // ポケモンコンシェルジュ: シーズン1",
        "Pokémon The Series: XY: XYZ // ポケットモンスター XY: 94-142",
        "Pokémon Detective Pikachu",
        "Pocket Monsters 2023: Season 1 // ポケットモンスタ― (2023): シーズン1",
    ],
    "cobra kai": ["Cobra Kai: Season 1", "The Karate Kid (1984)", "The Karate Kid Part II", "The Next Karate Kid"],
    "barbie it takes two": [  # named by its `Barbie: ...` titles (rule 4)
        "Barbie: Princess Charm School",
        "Barbie Dreamhouse Adventures: Season 1",
        "Barbie & Chelsea: The Lost Birthday",
    ],
    "the witcher": [
        "The Witcher: Season 1",
        "The Witcher: Blood Origin: Limited Series",
        "The Witcher: Nightmare of the Wolf",
    ],
}
# Titles that start with another franchise's name, a common word or phrase, and are other works.
DIFFERENT_FRANCHISES = [
    ("You: Season 1", "You Me Her: Season 1"),
    ("You: Season 1", "Young Royals: Season 1"),
    ("You: Season 1", "You People"),
    ("Love: Season 1", "Love Is Blind: Season 1"),
    ("Love: Season 1", "Love, Death & Robots: Volume 1"),
    ("Black: Season 1 // 블랙: 시즌 1", "Black Mirror: Season 1"),
    ("Black: Season 1 // 블랙: 시즌 1", "Black Knight: Season 1 // 택배기사: 시즌 1"),
    ("The Crown: Season 1", "The Crowned Clown // 왕이 된 남자"),
    ("Hometown // 홈타운", "Hometown Cha-Cha-Cha: Season 1 // 갯마을 차차차: 시즌 1"),
    ("Naruto: Season 1 // NARUTO-ナルト-: シーズン1", "Money Heist: Part 1 // La casa de papel: Parte 1"),
    ("Stranger Things", "Beyond Stranger Things: Beyond 2"),
    ("Elite: Season 7 // Élite: Temporada 7", "Elite Squad // Tropa de Elite"),
    ("Friends (1994): Season 1", "Friends: Naki on the Monster Island // friends もののけ島のナキ"),
    ("Mission: Impossible - Fallout", "Mission Kashmir // मिशन कश्मीर"),  # `mission` is a common word
    ("Mission: Impossible - Fallout", "Mission Blue"),
]


def _keys(catalog: Catalog) -> dict[str, str]:
    return dict(zip(catalog.items["title"], catalog.items["franchise_key"], strict=True))


@pytest.mark.parametrize("franchise", sorted(SAME_FRANCHISE))
def test_spin_offs_films_and_remakes_share_their_franchise(bundled_enriched_catalog: Catalog, franchise: str) -> None:
    keys = _keys(bundled_enriched_catalog)
    found = {title: keys[title] for title in SAME_FRANCHISE[franchise]}
    assert set(found.values()) == {franchise}, found


@pytest.mark.parametrize(("one", "other"), DIFFERENT_FRANCHISES)
def test_a_shared_first_word_does_not_join_two_works(bundled_enriched_catalog: Catalog, one: str, other: str) -> None:
    keys = _keys(bundled_enriched_catalog)
    assert keys[one] != keys[other]


def test_without_listings_the_same_names_fold(bundled_catalog: Catalog) -> None:
    """Folding reads the titles first; the listings only add guards, so the plain catalog folds too."""
    keys = _keys(bundled_catalog)
    for franchise in ("naruto", "money heist"):
        assert {keys[title] for title in SAME_FRANCHISE[franchise]} == {franchise}
    assert keys["You: Season 1"] != keys["You Me Her: Season 1"]


def test_the_cleaning_report_counts_and_shows_the_folds(bundled_enriched_catalog: Catalog) -> None:
    report = bundled_enriched_catalog.report
    # About 5% of titles are a spin-off, film or remake filed under its own name (1,001 when written).
    assert 500 < report.franchise_folds < 2_000
    assert report.franchises_joined <= report.franchise_folds
    assert len(report.franchise_fold_examples) == 8
    assert "franchise keys:" in report.summary()
    groups = bundled_enriched_catalog.items.groupby("franchise_key").size()
    assert groups["naruto"] >= 50 and groups["doraemon"] >= 30


def test_rules_on_a_small_catalog() -> None:
    """The three rules and their guards, each on a row that needs exactly that rule."""
    rows = [  # title, language, genres
        ("Zorbatron: Season 1", "English", "action"),
        ("Zorbatron: Season 2", "English", "action"),
        ("Zorbatron Rising", "English", "action, sci-fi"),  # prefix rule
        ("Zorbatron Mothers", "English", "documentary"),  # prefix refused: no shared genre
        ("Zorbatron Tales", "Korean", ""),  # prefix refused: another language
        ("Zorbatron: The Documentary", "English", "documentary"),  # head rule ignores genres
        ("Quuxley: Zorbatron Next", "English", ""),  # subtitle rule needs 5 entries: refused
        ("You: Season 1", "English", "thriller"),
        ("You: Season 2", "English", "thriller"),
        ("You Me Her: Season 1", "English", "thriller"),  # `you` is a common word
    ]
    titles = [r[0] for r in rows]
    folded = fold_franchises(titles, [t.franchise_key(x) for x in titles], [r[1] for r in rows], [r[2] for r in rows])
    keys = dict(zip(titles, folded.keys, strict=True))
    assert keys["Zorbatron Rising"] == keys["Zorbatron: The Documentary"] == "zorbatron"
    assert keys["Zorbatron Mothers"] == "zorbatron mothers"
    assert keys["Zorbatron Tales"] == "zorbatron tales"
    assert keys["Quuxley: Zorbatron Next"] == "quuxley zorbatron next"
    assert keys["You Me Her: Season 1"] == "you me her"
    assert folded.folded_titles == 2 and len(folded.folds) == 2
    with_five = titles + [f"Zorbatron: Season {n}" for n in (3, 4, 5)]
    refolded = fold_franchises(
        with_five, [t.franchise_key(x) for x in with_five], ["English"] * len(with_five), [""] * len(with_five)
    )
    assert dict(zip(with_five, refolded.keys, strict=True))["Quuxley: Zorbatron Next"] == "zorbatron"


def test_a_head_names_a_franchise_with_no_entry_of_its_own() -> None:
    """Rule 4: two `Head: ...` works make `Head` a franchise; its other titles join under the guards."""
    rows = [  # title, language, genres
        ("Glimmerbots: Into the Vault", "English", "kids, animation"),
        ("Glimmerbots: Mega Race", "English", "kids"),
        ("Glimmerbots Academy: Season 1", "English", "kids"),  # joins
        ("Glimmerbots Unplugged", "Korean", "kids"),  # another language: refused
        ("Glimmerbots Exposed", "English", "documentary"),  # no shared genre: refused
        ("Lonely: One Night", "English", "drama"),  # a lone head names nothing
        ("Lonely Hearts", "English", "drama"),
        ("Mission: Alpha", "English", "action"),  # `mission` is too common a word to name a franchise
        ("Mission: Beta", "English", "action"),
        ("Mission Gamma", "English", "action"),
    ]
    titles = [r[0] for r in rows]
    folded = fold_franchises(titles, [t.franchise_key(x) for x in titles], [r[1] for r in rows], [r[2] for r in rows])
    keys = dict(zip(titles, folded.keys, strict=True))
    glimmerbots = keys["Glimmerbots: Into the Vault"]
    assert keys["Glimmerbots: Mega Race"] == keys["Glimmerbots Academy: Season 1"] == glimmerbots
    assert keys["Glimmerbots Unplugged"] == "glimmerbots unplugged"
    assert keys["Glimmerbots Exposed"] == "glimmerbots exposed"
    assert keys["Lonely Hearts"] == "lonely hearts"
    assert len({keys["Mission: Alpha"], keys["Mission: Beta"], keys["Mission Gamma"]}) == 3
