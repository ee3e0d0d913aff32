"""Nearest neighbours of an item embedding: an approximate (HNSW) index above a catalog size.

Why: exact search costs one dot product per title, fine at 19k (0.4 ms) but ~20 ms at a million.
The index only proposes a shortlist; the blended ranking (`Ranker.rank(candidates=...)`) orders it,
and filters are applied exactly on top (see `ann.AnnIndex.search`).
"""

from recommender.index.ann import INDEX_FILE, AnnIndex, IndexMode, wants_index

__all__ = ["INDEX_FILE", "AnnIndex", "IndexMode", "wants_index"]
