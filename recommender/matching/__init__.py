"""Resolve what a user typed to a catalog item, and complete prefixes as they type.

People type titles the way they remember them: without accents (`pokemon`), without the subtitle
(`Glass Onion`), without the article or with `and` for `&` (`lockwood and co`), with a season the
catalog spells differently (`stranger things season 4` for `Stranger Things 4`), misspelt (`wensday`)
or in the original script (`더 글로리`). Each view is cheap on its own and they are tried from the
cheapest and most certain to the most expensive:

1. exact equality on accent-folded names (every name form: title, English, original, franchise);
2. the same on "loose" names (articles, `and`/`&`, apostrophes and punctuation dropped);
3. a season/part/number phrase peeled off the end and mapped onto the franchise's own numbering;
4. whole-word prefix and whole-word containment, from a sorted name list and a word index;
5. typos: names sharing the most character bigrams with the query (a numpy bincount over bigram
   postings, ~0.3 ms) are scored with rapidfuzz `process.cdist` + `ratio`, and the best few are
   rescored with `token_set_ratio` and `WRatio` (scoring all ~54k names cost 3 ms on an idle core).

Candidates whose text scores are close are ordered by the filters the user gave and by hours viewed
(a popularity prior). A name shared by several items is settled by what the items are (the serving
layer says which items are films, and their languages):

- a film's own title names that film, not its sequels: `extraction` is Extraction, `extraction 2`
  and `enola holmes two` the sequels (a sequel is not named by its franchise's name);
- a show's name names its most watched season (`stranger things` -> Stranger Things 4), with a note;
- different works under one name (the anime and the live-action `One Piece`, the Korean and the
  Japanese `Kingdom`, same-titled films of different years) answer with the one the filters pick,
  else the most watched, name the others as alternatives (most watched first) and say so in the note.

"Did you mean" is kept for weak matches and for real ties: typo-level matches of different works that
are about equally watched.
"""

from recommender.matching.index import INDEX_LAYOUT, NameIndex
from recommender.matching.normalise import (
    MAX_QUERY_LENGTH,
    QueryError,
    clean_query,
    loose_form,
    match_form,
    split_number_phrase,
)
from recommender.matching.resolve import CONFIDENT_SCORE, NameHit, Outcome, TitleIndex

__all__ = [
    "CONFIDENT_SCORE",
    "INDEX_LAYOUT",
    "MAX_QUERY_LENGTH",
    "NameHit",
    "NameIndex",
    "Outcome",
    "QueryError",
    "TitleIndex",
    "clean_query",
    "loose_form",
    "match_form",
    "split_number_phrase",
]
