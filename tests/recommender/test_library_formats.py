"""Reading library exports: every format as its tool writes it, other encodings, and refusals."""

from __future__ import annotations

import json

import pytest

from recommender.content_type import MOVIE, SHOW
from recommender.library import formats
from recommender.library.formats import MAX_TITLES, LibraryFormatError, LibraryTitle, parse_library

JELLYFIN_JSON = {
    "Items": [
        {"Name": "Wednesday", "ProductionYear": 2022, "Type": "Series", "Genres": ["Comedy", "Fantasy"],
         "OfficialRating": "TV-14", "Overview": "A sleuthing student."},
        {"Name": "Amélie", "OriginalTitle": "Le Fabuleux Destin d'Amélie Poulain", "ProductionYear": 2001,
         "Type": "Movie", "Genres": ["Romance"]},
        {"Name": "Pilot", "SeriesName": "Dark", "Type": "Episode", "ProductionYear": 2017},
        {"Name": "Secrets", "SeriesName": "Dark", "Type": "Episode", "ProductionYear": 2017},
        {"Name": "Abbey Road", "Type": "MusicAlbum"},
    ],
    "TotalRecordCount": 5,
}


def titles(raw: bytes | str) -> list[LibraryTitle]:
    return parse_library(raw.encode() if isinstance(raw, str) else raw).titles


def test_jellyfin_json_with_episodes_folded_into_their_show_and_music_skipped() -> None:
    parsed = parse_library(json.dumps(JELLYFIN_JSON).encode())
    assert parsed.format == "Jellyfin JSON"
    assert [(t.title, t.year, t.content_type) for t in parsed.titles] == [
        ("Wednesday", 2022, SHOW), ("Amélie", 2001, MOVIE), ("Dark", 2017, SHOW)]
    assert parsed.titles[0].genres == "comedy, fantasy" and parsed.titles[0].certification == "TV-14"
    assert parsed.titles[1].original_title.startswith("Le Fabuleux")
    assert parsed.duplicates == 1 and parsed.skipped == {"not a show or movie": 1}


def test_plex_json_and_csv() -> None:
    plex = {"MediaContainer": {"size": 2, "Metadata": [
        {"title": "Dune", "year": 1984, "type": "movie", "contentRating": "PG-13", "Genre": [{"tag": "Sci-Fi"}]},
        {"title": "Severance", "year": 2022, "type": "show"}]}}
    parsed = parse_library(json.dumps(plex).encode())
    assert parsed.format == "Plex JSON"
    assert [(t.title, t.year, t.content_type, t.genres) for t in parsed.titles] == [
        ("Dune", 1984, MOVIE, "sci-fi"), ("Severance", 2022, SHOW, "")]
    csv_parsed = parse_library(b'"Title","Year","Type","Content Rating"\n"Dune","1984","movie","PG-13"\n')
    assert csv_parsed.format == "Plex CSV" and csv_parsed.titles[0].certification == "PG-13"


def test_letterboxd_watchlist_and_list_exports() -> None:
    watchlist = ("Date,Name,Year,Letterboxd URI\n2024-01-02,Past Lives,2023,https://boxd.it/abc\n"
                 '2024-01-03,"Crazy, Stupid, Love.",2011,https://boxd.it/def\n')
    parsed = parse_library(watchlist.encode())
    assert parsed.format == "Letterboxd CSV"
    assert [(t.title, t.year) for t in parsed.titles] == [("Past Lives", 2023), ("Crazy, Stupid, Love.", 2011)]
    listed = ("Letterboxd list export v7\nDate,Name,Tags,URL,Description\n2024-01-01,Movie night,,https://x,\n\n"
              "Position,Name,Year,URL,Description\n1,Heat,1995,https://boxd.it/1,\n2,Ronin,1998,https://boxd.it/2,\n")
    parsed = parse_library(listed.encode())
    assert parsed.format == "Letterboxd list CSV" and [t.title for t in parsed.titles] == ["Heat", "Ronin"]


def test_imdb_list_export() -> None:
    imdb = ("Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
            "Genres,Num Votes,Release Date,Directors\n"
            'tt0903747,10,2020-01-01,Breaking Bad,Breaking Bad,https://imdb.com/t,TV Series,9.5,49,2008,'
            '"Crime, Drama, Thriller",2000000,2008-01-20,\n'
            "tt0111161,9,2020-01-01,The Shawshank Redemption,,https://imdb.com/s,Movie,9.3,142,1994,Drama,"
            "2800000,1994-09-23,Frank Darabont\n"
            "tt1234567,8,2020-01-01,Some Episode,,https://imdb.com/e,TV Episode,8.0,50,2010,Drama,10,,\n")
    parsed = parse_library(imdb.encode())
    assert parsed.format == "IMDb list CSV"
    assert [(t.title, t.year, t.content_type) for t in parsed.titles] == [
        ("Breaking Bad", 2008, SHOW), ("The Shawshank Redemption", 1994, MOVIE)]
    assert parsed.titles[0].genres == "crime, drama, thriller"
    assert parsed.skipped == {"no title": 1}  # an IMDb episode row names no series


def test_plain_lists() -> None:
    parsed = parse_library(b"# our shelf\nDark, 2017\nThe Crown (2016)\nCrazy, Stupid, Love\nDark,2017\n")
    assert parsed.format == "plain list"
    assert [(t.title, t.year) for t in parsed.titles] == [("Dark", 2017), ("The Crown", 2016),
                                                         ("Crazy, Stupid, Love", None)]
    assert parsed.duplicates == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_other_encodings_read_the_same(encoding: str) -> None:
    text = "Name,ProductionYear,Type\r\nAmélie,2001,Movie\r\nLéon,1994,Movie\r\n"
    assert [(t.title, t.year) for t in titles(text.encode(encoding))] == [("Amélie", 2001), ("Léon", 1994)]


@pytest.mark.parametrize(("raw", "says"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary"),
    (b"PK\x03\x04" + bytes(100), "spreadsheet or an archive"),
    (b"<!DOCTYPE html><html><body>Log in</body></html>\n", "HTML"),
    (b'{"Items": 3}', "no list of titles"),
    (b'{"Items": [1, 2]', "not valid JSON"),
    (b"a,b,c\n1,2,3\n4,5,6\n", "none for the title"),
    (b"Name,ProductionYear\n,2001\n", "no row names a show or movie"),
    (b"\xff\xfeW\x00e\x00d\x00\x00\xd8", "not valid UTF-16"),
])
def test_bad_files_get_one_clear_message(raw: bytes, says: str) -> None:
    with pytest.raises(LibraryFormatError, match=says):
        parse_library(raw)


def test_a_huge_file_and_100k_titles_are_refused_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LibraryFormatError, match="at most 8 MB"):
        parse_library(b"x" * (9 * 1024 * 1024))
    rows = b"Name,ProductionYear,Type\n" + b"".join(b"Title %d,2000,Movie\n" % i for i in range(100_000))
    rows_looked_at = []
    read_title = formats._title
    monkeypatch.setattr(formats, "_title", lambda row: rows_looked_at.append(row) or read_title(row))
    with pytest.raises(LibraryFormatError, match=f"more than {MAX_TITLES:,} distinct titles"):
        parse_library(rows)
    assert len(rows_looked_at) == MAX_TITLES + 1  # stops at the limit instead of reading (and matching) it all
    repeated = b"Name\n" + b"Dark\n" * 25_000  # one title, many rows: the row limit
    with pytest.raises(LibraryFormatError, match="more than 20,000 rows"):
        parse_library(repeated)


def test_exactly_the_limit_is_accepted() -> None:
    rows = b"Name,ProductionYear\n" + b"".join(b"Title %d,2000\n" % i for i in range(MAX_TITLES))
    assert len(parse_library(rows).titles) == MAX_TITLES
