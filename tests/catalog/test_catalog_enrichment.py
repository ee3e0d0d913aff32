"""The enrichment join attaches a listing only to the work it describes."""

from __future__ import annotations

from pathlib import Path

from recommender.catalog import load_catalog

CATALOG = """Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type
Extraction 2,Yes,2023-06-16,"20,16,00,000",English,Movie
Extraction (2015),No,,"1,00,000",English,Movie
Suits (2011): Season 1,No,,"1,00,00,000",English,Show
Stranger Things 4,Yes,2022-05-27,"14,00,00,000",English,Movie
Stranger Things,Yes,2016-07-15,"2,00,00,000",English,Movie
Outer Banks: Season 1,Yes,2020-04-15,"5,00,00,000",English,Show
Hostel: Part II,No,,"2,00,000",English,Movie
Sinister,No,,"3,00,000",English,Movie
"""
TITLES = """show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description
s1,Movie,Extraction,Steven C. Miller,Bruce Willis,United States,,2015,R,82 min,Action & Adventure,An ex-agent.
s2,TV Show,Suits,,Jang Dong-gun,South Korea,,2018,TV-14,1 Season,"Korean TV Shows, TV Dramas",A lawyer.
s3,TV Show,Stranger Things,,Winona Ryder,United States,,2019,TV-14,3 Seasons,"TV Horror, TV Mysteries",A boy vanishes.
s4,TV Show,Outer Banks,,Chase Stokes,United States,,2021,TV-MA,2 Seasons,"TV Dramas, Teen TV Shows",Teens hunt.
s5,Movie,Hostel,Eli Roth,Jay Hernandez,United States,,2005,R,94 min,Horror Movies,Backpackers.
s6,Movie,Sinister 2,Ciaran Foy,James Ransone,United States,,2015,R,97 min,Horror Movies,A deputy.
"""


def test_listing_attaches_only_to_the_work_of_its_year(tmp_path: Path) -> None:
    (tmp_path / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "titles.csv").write_text(TITLES, encoding="utf-8")
    catalog = load_catalog(tmp_path / "catalog.csv", tmp_path / "titles.csv")
    genres = dict(zip(catalog.items["title"], catalog.items["genres"], strict=True))

    assert genres["Extraction (2015)"] == "action"  # `Action & Adventure`, on the shared genre scale
    # Same franchise key, but the 2015 movie is not the 2023 one.
    assert genres["Extraction 2"] == ""
    # The Korean remake (2018) is not the US show of 2011.
    assert genres["Suits (2011): Season 1"] == ""
    # A listed show spans seasons: years 2016 and 2022 both fit its 2019 listing, even though the
    # report calls these seasons "Movie".
    assert genres["Stranger Things"] == genres["Stranger Things 4"] == "horror, mystery"
    assert genres["Outer Banks: Season 1"] == "drama, teen"
    # A film listing describes one film: with no year to refuse it by, the sequel's title (or the
    # original's) still says it is another work.
    assert genres["Hostel: Part II"] == genres["Sinister"] == ""
    assert catalog.report.enriched == 4
