"""A server's own library: read its export, match it to the catalog, rank among its titles only.

`formats` reads a file, `match` matches its titles with the catalog's resolver, `extras` describes and
embeds the titles the catalog lacks, `scope` ranks "similar to X" among one server's titles.
"""

from recommender.library.extras import ExtraTitle
from recommender.library.formats import MAX_BYTES, MAX_TITLES, LibraryFormatError, LibraryTitle, ParsedLibrary
from recommender.library.match import LibraryMatch, TitleMatch, match_library
from recommender.library.scope import EXTRA_ID_BASE, LibraryScope, ServerLibrary, extra_id

__all__ = [
    "EXTRA_ID_BASE",
    "MAX_BYTES",
    "MAX_TITLES",
    "ExtraTitle",
    "LibraryFormatError",
    "LibraryMatch",
    "LibraryScope",
    "LibraryTitle",
    "ParsedLibrary",
    "ServerLibrary",
    "TitleMatch",
    "extra_id",
    "match_library",
]
