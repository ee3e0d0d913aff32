"""Bad catalog files: every refusal is a `CatalogError` naming the file (and column and rows where
relevant), never a pandas traceback, and never a catalog made of the part that happened to parse."""

from __future__ import annotations

import json
import struct
import traceback
import zlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recommender.catalog import CatalogError, load_catalog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

HEADER = "Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type\n"
WriteCsv = Callable[..., Path]


def good_rows(n: int = 40) -> str:
    """n valid rows with ISO dates (days up to 28, so the format is unambiguous)."""
    return "".join(f'Show {i},Yes,2023-01-{i % 28 + 1:02d},"1,00,000",English,Show\n' for i in range(n))


def refused(path: Path, enrichment: Path | None = None) -> str:
    """Load `path`, require a clean CatalogError and return its message."""
    with pytest.raises(CatalogError) as info:
        load_catalog(path, enrichment)
    exc = info.value
    assert type(exc) is CatalogError
    # No pandas/csv/codec exception chained underneath: the user sees one sentence, not a traceback.
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    rendered = "".join(traceback.format_exception(exc))
    assert "pandas" not in rendered and "During handling" not in rendered
    message = str(exc)
    assert message.startswith(("catalog ", "enrichment "))
    return message


# ---------------------------------------------------------------------------------------------
# Files that are not catalogs at all


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert refused(path) == f"catalog {path}: file not found"


def test_directory(tmp_path: Path) -> None:
    assert refused(tmp_path) == f"catalog {tmp_path}: is a directory, expected a CSV file"


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \r\n"], ids=["zero-bytes", "whitespace-only"])
def test_empty_file(write_csv: WriteCsv, content: bytes) -> None:
    path = write_csv(content)
    assert refused(path) == f"catalog {path}: file is empty"


@pytest.mark.parametrize("content", [HEADER, HEADER + "\n\n"], ids=["header", "header-and-blank-lines"])
def test_header_without_rows(write_csv: WriteCsv, content: str) -> None:
    path = write_csv(content)
    assert refused(path) == f"catalog {path}: has a header but no rows"


def test_no_title_column(write_csv: WriteCsv) -> None:
    path = write_csv("Name2,Hours Viewed\nWednesday,5\n")
    message = refused(path)
    assert message.startswith(f"catalog {path}: no Title column (found columns: 'name2', 'hours_viewed')")
    assert "Title, Available Globally?, Release Date" in message  # says what was expected


def _png() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + pixels + chunk(b"IEND", b"")


def test_png_bytes(write_csv: WriteCsv) -> None:
    path = write_csv(_png(), "poster.csv")
    assert refused(path) == f"catalog {path}: looks like a binary file, not a CSV text file"


@pytest.mark.parametrize(
    "document",
    [
        json.dumps([{"Title": "Wednesday", "Hours Viewed": 5}]),  # one line: pandas saw a header
        json.dumps({"title": "Wednesday"}),
        json.dumps({"items": [{"title": "Wednesday", "hours": 5}]}, indent=2),
    ],
    ids=["array-one-line", "object-one-line", "object-pretty"],
)
def test_json_document(write_csv: WriteCsv, document: str) -> None:
    path = write_csv(document + "\n", "catalog.json")
    assert refused(path) == f"catalog {path}: is a JSON document, not a CSV file; export the table as CSV"


def test_html_page_is_not_mistaken_for_an_empty_catalog(write_csv: WriteCsv) -> None:
    path = write_csv("<html><body>Not found</body></html>\n")
    assert refused(path).startswith(f"catalog {path}: no Title column (found columns: ")


def test_latin1_bytes_name_the_line(write_csv: WriteCsv) -> None:
    text = HEADER + good_rows(2) + "Amélie,Yes,2001-04-25,\"1,00,000\",Non-English,Movie\n" + good_rows(3)
    path = write_csv(text.encode("latin-1"))
    assert refused(path) == (
        f"catalog {path}: not valid UTF-8 text: byte 0xe9 at line 4; re-save the file as UTF-8"
    )


def test_utf16_with_bom_is_read(write_csv: WriteCsv) -> None:
    """Excel's "Unicode" export: UTF-16 with a byte-order mark."""
    text = HEADER + "Amélie,Yes,2001-04-25,\"1,00,000\",Non-English,Movie\n" + good_rows(3)
    catalog = load_catalog(write_csv(text.encode("utf-16")))
    assert list(catalog.items["title"]) == ["Amélie", "Show 0", "Show 1", "Show 2"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(write_csv: WriteCsv, encoding: str) -> None:
    """Some exporters write UTF-16 without a byte-order mark: its NUL bytes must not read as "binary"."""
    text = HEADER + "Amélie,Yes,2001-04-25,\"1,00,000\",Non-English,Movie\n" + "가면,Yes,2020-01-01,10,Korean,Show\n"
    catalog = load_catalog(write_csv((text + good_rows(3)).encode(encoding)))
    assert list(catalog.items["title"]) == ["Amélie", "가면", "Show 0", "Show 1", "Show 2"]


def test_cut_utf16_without_bom_is_refused_naming_the_encoding(write_csv: WriteCsv) -> None:
    path = write_csv((HEADER + good_rows(3)).encode("utf-16-le")[:-1])  # a copy cut mid-character
    assert refused(path) == (
        f"catalog {path}: looks like UTF-16 LE text without a byte-order mark, but is not valid UTF-16 LE "
        "(it ends mid-character); re-save the file as UTF-8"
    )


def test_utf8_bom_is_not_part_of_the_first_header(write_csv: WriteCsv) -> None:
    catalog = load_catalog(write_csv((HEADER + good_rows(2)).encode("utf-8-sig")))
    assert list(catalog.items["title"]) == ["Show 0", "Show 1"]


def test_truncated_file_with_open_quote(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + good_rows(40) + '"Half a row,Yes,2023-01-01\n')
    assert refused(path) == (
        f"catalog {path}: not a readable CSV file: a quote opened here is never closed "
        "(line 42: '\"Half a row,Yes,2023-01-01')"
    )


def test_row_with_extra_fields_names_the_line(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + good_rows(40) + "X,Yes,2023-01-01,5,English,Movie,surplus\n")
    assert refused(path) == (
        f"catalog {path}: 1 row(s) have more than the header's 6 comma-separated fields "
        "(quote cells that contain a ','): line 42: 'X,Yes,2023-01-01,5,English,Movie,surplus'"
    )


# ---------------------------------------------------------------------------------------------
# Garbage columns


def test_garbage_hours(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + "A,Yes,,lots,English,Movie\nB,Yes,,many,English,Movie\nC,Yes,,1.2M,English,Show\n")
    assert refused(path) == (
        f"catalog {path}: column 'hours_viewed' has 3 of 3 values that cannot be parsed "
        "(row 2: 'lots', row 3: 'many', row 4: '1.2M'); fix the file or remove the column"
    )


def test_garbage_dates(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + "A,Yes,soon,5,English,Movie\nB,Yes,,5,English,Movie\nC,Yes,last year,5,English,Movie\n")
    assert refused(path) == (
        f"catalog {path}: column 'release_date' has 2 of 2 values that cannot be parsed "
        "(row 2: 'soon', row 4: 'last year'); fix the file or remove the column"
    )


def test_garbage_flags(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + "A,maybe,,5,English,Movie\nB,Yes,,5,English,Movie\n")
    assert refused(path) == (
        f"catalog {path}: column 'available_globally' has 1 of 2 values that cannot be parsed "
        "(row 2: 'maybe'); fix the file or remove the column"
    )


def test_garbage_tail_refuses_the_whole_file(write_csv: WriteCsv) -> None:
    """40 good rows then 10 bad ones (20%): refused, not loaded as the first 40."""
    bad = "".join(f"Bad {i},Yes,2023-02-01,???,English,Movie\n" for i in range(10))
    path = write_csv(HEADER + good_rows(40) + bad)
    message = refused(path)
    assert message.startswith(f"catalog {path}: column 'hours_viewed' has 10 of 50 values that cannot be parsed")
    assert "(row 42: '???', row 43: '???', row 44: '???', row 45: '???', row 46: '???')" in message


def test_ambiguous_dates(write_csv: WriteCsv) -> None:
    rows = "A,Yes,1/2/2023,5,English,Movie\nB,Yes,3/4/2023,5,English,Movie\nC,Yes,12/11/2022,5,English,Show\n"
    path = write_csv(HEADER + rows)
    assert refused(path) == (
        f"catalog {path}: column 'release_date': release dates are ambiguous: formats M/D/YYYY and "
        "D/M/YYYY both read every sampled date, so day and month cannot be told apart; write dates as YYYY-MM-DD"
    )


@pytest.mark.parametrize(
    ("extra", "fmt", "first"),
    [("D,Yes,1/13/2023,5,English,Movie\n", "M/D/YYYY", "2023-01-02"),
     ("D,Yes,13/1/2023,5,English,Movie\n", "D/M/YYYY", "2023-02-01")],
)
def test_one_day_above_12_settles_the_format(write_csv: WriteCsv, extra: str, fmt: str, first: str) -> None:
    rows = "A,Yes,1/2/2023,5,English,Movie\nB,Yes,3/4/2023,5,English,Movie\nC,Yes,12/11/2022,5,English,Show\n"
    catalog = load_catalog(write_csv(HEADER + rows + extra))
    assert catalog.report.date_format == fmt
    assert catalog.items.loc[0, "release_date"] == pd.Timestamp(first)


@pytest.mark.parametrize("value", ["inf", "1e400", "1e30", "-5", "n/a"])
def test_a_few_bad_hours_are_reported_and_the_file_loads(write_csv: WriteCsv, value: str) -> None:
    path = write_csv(HEADER + good_rows(39) + f"Odd One,Yes,2023-01-01,{value},English,Movie\n")
    catalog = load_catalog(path)
    assert len(catalog) == 40
    assert catalog.report.unparseable["hours_viewed"] == 1
    assert catalog.report.unparseable_samples["hours_viewed"] == [value]
    assert f"unparseable hours_viewed: 1 (e.g. '{value}')" in catalog.report.summary()
    hours = catalog.items.set_index("title")["hours_viewed"]
    assert hours["Odd One"] == 0 and hours["Show 0"] == 100_000
    assert catalog.items["popularity"].between(0, 1).all()


def test_hours_with_every_digit_grouping(write_csv: WriteCsv) -> None:
    values = ['"81,21,00,000"', '"812,100,000"', "812 100 000", "812100000", "812100000.0", "812_100_000"]
    rows = "".join(f"T{i},Yes,,{v},English,Movie\n" for i, v in enumerate(values))
    catalog = load_catalog(write_csv(HEADER + rows))
    assert list(catalog.items["hours_viewed"]) == [812_100_000] * len(values)
    assert catalog.report.unparseable["hours_viewed"] == 0


# ---------------------------------------------------------------------------------------------
# Variants that must be accepted


CANONICAL = HEADER + (
    'Wednesday: Season 1,Yes,2022-11-23,"50,77,00,000",English,Show\n'
    'The Glory: Season 1 // 더 글로리: 시즌 1,No,,"62,28,00,000",Korean,Show\n'
)


@pytest.mark.parametrize(
    "header",
    [
        "title,available_globally,release_date,hours_viewed,language_indicator,content_type\n",
        "TITLE,AVAILABLE GLOBALLY?,RELEASE DATE,HOURS VIEWED,LANGUAGE INDICATOR,CONTENT TYPE\n",
        "  Title ,  Available  Globally? , Release Date,Hours Viewed  , Language Indicator,Content Type \n",
    ],
    ids=["snake_case", "upper", "extra-spaces"],
)
def test_column_name_variants(write_csv: WriteCsv, header: str) -> None:
    reference = load_catalog(write_csv(CANONICAL, "reference.csv"))
    variant = load_catalog(write_csv(header + CANONICAL.split("\n", 1)[1], "variant.csv"))
    assert variant.report.missing_columns == []
    pd.testing.assert_frame_equal(variant.items, reference.items)
    assert variant.items.loc[1, "original_title"] == "더 글로리: 시즌 1"
    assert list(variant.items["hours_viewed"]) == [507_700_000, 622_800_000]


def test_optional_columns_may_be_missing(write_csv: WriteCsv) -> None:
    catalog = load_catalog(write_csv("Title,Hours Viewed\nWednesday: Season 1,\"50,77,00,000\"\nRoma,5\n"))
    assert catalog.report.missing_columns == ["available_globally", "release_date", "language", "content_type"]
    row = catalog.items.loc[0]
    assert row["language"] == "Unknown" and row["content_type"] == "Show" and not row["available_globally"]
    assert catalog.items.loc[1, "content_type"] == "Unknown"  # nothing says what `Roma` is
    assert pd.isna(row["release_date"]) and catalog.report.date_format is None


def test_rows_without_title_are_dropped_and_counted(write_csv: WriteCsv) -> None:
    rows = (",Yes,,5,English,Movie\n"
            "   ,Yes,,6,English,Movie\n"
            "Kept,Yes,,7,English,Movie\n"
            "Also Kept,Yes,,8,English,Movie\n")
    catalog = load_catalog(write_csv(HEADER + rows))
    assert catalog.report.rows_read == 4
    assert catalog.report.rows_dropped_no_title == 2
    assert list(catalog.items["title"]) == ["Kept", "Also Kept"]
    assert "2 without title dropped" in catalog.report.summary()


def test_only_titleless_rows(write_csv: WriteCsv) -> None:
    path = write_csv(HEADER + ",Yes,,5,English,Movie\n  ,No,,6,English,Show\n")
    assert refused(path) == f"catalog {path}: no row has a title"


def test_bad_value_rows_are_numbered_as_file_lines_after_dropped_rows(write_csv: WriteCsv) -> None:
    rows = ",Yes,,5,English,Movie\n" + "A,Yes,,lots,English,Movie\n"
    path = write_csv(HEADER + rows)
    assert "(row 3: 'lots')" in refused(path)


def test_yes_no_flags(write_csv: WriteCsv) -> None:
    flags = {"Yes": True, "No": False, "yes": True, "NO": False, " Yes ": True, "Y": True, "n": False,
             "TRUE": True, "false": False, "1": True, "0": False, "": False}
    rows = "".join(f"T{i},{flag},,5,English,Movie\n" for i, flag in enumerate(flags))
    catalog = load_catalog(write_csv(HEADER + rows))
    assert list(catalog.items["available_globally"]) == list(flags.values())
    assert catalog.items["available_globally"].dtype == bool
    assert catalog.report.unparseable["available_globally"] == 0


def test_duplicate_titles_merge_to_the_larger_hours(write_csv: WriteCsv) -> None:
    rows = ('Small First,Yes,,"15,55,00,000",English,Show\n'
            "Other,Yes,,5,English,Movie\n"
            'Small First,Yes,,"81,21,00,000",English,Show\n')
    catalog = load_catalog(write_csv(HEADER + rows))
    assert list(catalog.items["title"]) == ["Small First", "Other"]  # ids by first appearance
    assert list(catalog.items["hours_viewed"]) == [812_100_000, 5]
    assert catalog.report.duplicate_rows_merged == 1
    assert catalog.report.merged_examples == ["Small First"]


# ---------------------------------------------------------------------------------------------
# Enrichment file problems refuse the whole load too


def test_missing_enrichment_file(write_csv: WriteCsv, tmp_path: Path) -> None:
    missing = tmp_path / "titles.csv"
    assert refused(write_csv(CANONICAL), missing) == f"enrichment {missing}: file not found"


def test_enrichment_without_title_column(write_csv: WriteCsv) -> None:
    enrichment = write_csv("show_id,listed_in\ns1,Dramas\n", "titles.csv")
    assert refused(write_csv(CANONICAL), enrichment) == (
        f"enrichment {enrichment}: no title column (found: show_id, listed_in)"
    )


def test_enrichment_that_is_binary(write_csv: WriteCsv) -> None:
    enrichment = write_csv(_png(), "titles.csv")
    assert refused(write_csv(CANONICAL), enrichment) == (
        f"enrichment {enrichment}: looks like a binary file, not a CSV text file"
    )


def test_fixture_enrichment_joins_by_franchise(write_csv: WriteCsv) -> None:
    rows = 'Squid Game: Season 1 // 오징어 게임: 시즌 1,Yes,,5,Korean,Show\nNobody Knows This,Yes,,5,English,Movie\n'
    catalog = load_catalog(write_csv(HEADER + rows, "two.csv"), FIXTURES / "enrichment.csv")
    assert catalog.report.enriched == 1
    assert list(catalog.items["genres"]) == ["international, drama, thriller", ""]
    assert catalog.items.loc[0, "release_year"] == 2021 and catalog.items.loc[0, "year_source"] == "enrichment"
