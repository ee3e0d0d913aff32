"""Scoring systems compared side by side: the model under test and baselines that cannot cheat.

Every system answers one question: given query rows and candidate rows of the same item table,
how strongly does each candidate go with each query? Ranking, exclusions and tie-breaking happen
elsewhere (`ranking.top_k`), identically for all of them. A model that does not beat "most popular"
or "title looks alike" has learned nothing worth serving, so these baselines sit next to it in
every report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from recommender import titles as t


class Scorer(Protocol):
    name: str

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        """(len(query_rows), len(candidate_rows)) scores, higher = better; rows are positions in the item table."""


@dataclass
class EmbeddingScorer:
    """Cosine similarity in an embedding space (rows L2-normalised here, whatever the caller gave)."""

    name: str
    embeddings: np.ndarray

    def __post_init__(self) -> None:
        e = np.asarray(self.embeddings, dtype=np.float32)
        norms = np.linalg.norm(e, axis=1, keepdims=True)
        self.embeddings = np.divide(e, norms, out=np.zeros_like(e), where=norms > 0)

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        return self.embeddings[query_rows] @ self.embeddings[candidate_rows].T


@dataclass
class RandomScorer:
    """Uniform random scores, reproducible per (seed, query item): the floor every system must clear.

    Seeding per query (not one stream for the run) makes a query's list independent of which other
    queries are evaluated and in what order.
    """

    n_items: int
    seed: int = 0
    name: str = "random"

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(query_rows), len(candidate_rows)), dtype=np.float32)
        for i, row in enumerate(query_rows):
            out[i] = np.random.default_rng([self.seed, int(row)]).random(self.n_items, dtype=np.float32)[candidate_rows]
        return out


@dataclass
class PopularityScorer:
    """Most watched first, the same list for everyone: what a "Top 10" row would show."""

    popularity: np.ndarray
    name: str = "most popular"

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        pop = np.asarray(self.popularity, dtype=np.float32)[candidate_rows]
        return np.broadcast_to(pop, (len(query_rows), len(candidate_rows))).copy()


@dataclass
class SameLanguageTypeScorer:
    """Items of the query's language and content type by popularity, then everything else by popularity.

    This is all that the engagement report's metadata alone can say (6 languages x 2 types), so a
    model must beat it to show it learned anything about what titles are.
    """

    language: np.ndarray
    content_type: np.ndarray
    popularity: np.ndarray
    name: str = "same language+type, popular"

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        lang = np.asarray(self.language)
        ctype = np.asarray(self.content_type)
        same = (lang[query_rows][:, None] == lang[candidate_rows][None, :]) & (
            ctype[query_rows][:, None] == ctype[candidate_rows][None, :]
        )
        pop = np.clip(np.asarray(self.popularity, dtype=np.float32)[candidate_rows], 0.0, 1.0)
        return 2.0 * same.astype(np.float32) + pop[None, :]


def char_ngrams(text: str, n: int = 3) -> list[str]:
    """Character n-grams of the normalised text, with word boundaries marked by spaces."""
    norm = t.normalize(text)
    if not norm:
        return []
    padded = f" {norm} "
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


@dataclass
class TitleTfidfScorer:
    """Cosine similarity of TF-IDF vectors over title character 3-grams (both title halves).

    Exact vocabulary (about 20k trigrams here) in a hand-rolled sparse layout: scipy is not a
    dependency, and a dense 19k x 20k matrix would be 1.5 GB. Scoring walks the posting lists of
    the query's trigrams and accumulates with `np.bincount`, which is a sparse matrix product.
    """

    titles: list[str]
    name: str = "title TF-IDF"
    n: int = 3
    _doc_ptr: np.ndarray = field(init=False, repr=False)
    _doc_terms: np.ndarray = field(init=False, repr=False)
    _doc_weights: np.ndarray = field(init=False, repr=False)
    _post_ptr: np.ndarray = field(init=False, repr=False)
    _post_docs: np.ndarray = field(init=False, repr=False)
    _post_weights: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        vocab: dict[str, int] = {}
        doc_terms: list[np.ndarray] = []
        doc_counts: list[np.ndarray] = []
        for title in self.titles:
            grams = [vocab.setdefault(g, len(vocab)) for g in char_ngrams(str(title), self.n)]
            ids, term_counts = np.unique(np.asarray(grams, dtype=np.int64), return_counts=True)
            doc_terms.append(ids)
            doc_counts.append(term_counts)
        n_docs = len(self.titles)
        lengths = np.array([len(d) for d in doc_terms], dtype=np.int64)
        self._doc_ptr = np.concatenate([[0], np.cumsum(lengths)])
        terms: np.ndarray = np.concatenate(doc_terms) if n_docs else np.zeros(0, dtype=np.int64)
        counts = np.concatenate(doc_counts).astype(np.float64) if n_docs else np.zeros(0)
        df = np.bincount(terms, minlength=len(vocab)).astype(np.float64)
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0  # smoothed idf, as in scikit-learn
        weights = (1.0 + np.log(counts)) * idf[terms]  # sublinear tf
        doc_of = np.repeat(np.arange(n_docs), lengths)
        norms = np.sqrt(np.bincount(doc_of, weights=weights**2, minlength=n_docs))
        weights = weights / np.where(norms[doc_of] > 0, norms[doc_of], 1.0)
        self._doc_terms, self._doc_weights = terms, weights
        order = np.argsort(terms, kind="stable")
        self._post_docs, self._post_weights = doc_of[order], weights[order]
        self._post_ptr = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(vocab)))])

    def _row_scores(self, row: int) -> np.ndarray:
        lo, hi = self._doc_ptr[row], self._doc_ptr[row + 1]
        terms, qw = self._doc_terms[lo:hi], self._doc_weights[lo:hi]
        starts, ends = self._post_ptr[terms], self._post_ptr[terms + 1]
        sizes = ends - starts
        if sizes.sum() == 0:
            return np.zeros(len(self.titles))
        # indices of every posting of every query term, without a Python loop over terms
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
        idx = np.arange(sizes.sum()) + offsets
        return np.bincount(
            self._post_docs[idx], weights=self._post_weights[idx] * np.repeat(qw, sizes), minlength=len(self.titles)
        )

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(query_rows), len(candidate_rows)), dtype=np.float32)
        for i, row in enumerate(query_rows):
            out[i] = self._row_scores(int(row))[candidate_rows]
        return out


def title_text(items: pd.DataFrame) -> list[str]:
    """Both names of each title (English and original-language), as a user might type either."""
    return items["title"].astype(str).str.replace(t.ALIAS_SEPARATOR, " ", regex=False).tolist()


def standard_baselines(items: pd.DataFrame, seed: int = 0) -> list[Scorer]:
    """The four model-free baselines every report shows, built from the item table alone."""
    return [
        RandomScorer(n_items=len(items), seed=seed),
        PopularityScorer(items["popularity"].to_numpy()),
        SameLanguageTypeScorer(
            items["language"].to_numpy(), items["content_type"].to_numpy(), items["popularity"].to_numpy()
        ),
        TitleTfidfScorer(title_text(items)),
    ]
