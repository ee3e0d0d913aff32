"""The blend for ONE query over the whole catalog, with everything that does not depend on it precomputed.

Why a separate serving path: `Channels.blend` computes each channel in turn for a block of queries
(right for evaluation and fitting), but per request most of that work is the same every time. Here,
once per loaded model:

- the item priors (hours viewed, IMDb votes and score, has metadata) are summed into one vector;
- era and "well-known titles of the same years" become one row per distinct release year (about 60)
  plus one for an unknown year, so a query's era term is a lookup;
- same language / type / maturity become one weighted indicator row per code;
- the text channels are stacked into one matrix whose query side carries the channel weights, so they
  cost one walk over the query terms' posting lists, except the two the title gate needs on their own
  (genres, people) and the title channels the gate multiplies (stacked into one walk of their own);
- "above the query's maturity band" becomes one weighted row per band, and the hub channel one weighted
  row per query kind;
- a query's kind's factors (`KIND_FACTORS`: film, show, and either without a listing) scale whole terms: the
  era row, the title term, the gate channels', the embedding's and the hub's weights, the indicator rows, and
  one prior vector per kind.

The result equals `Channels.blend` up to float rounding (a test holds them together), so what
`evaluate` measures is what a request gets.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recommender.ranking.channels import (
    CHANNELS,
    ERA_UNKNOWN,
    GATE_CHANNELS,
    GATE_THIN,
    GATE_UNKNOWN,
    ITEM_CHANNELS,
    KIND_CHANNELS,
    KIND_FACTORS,
    KIND_FLOOR,
    KIND_UNKNOWN,
    MATURITY_BANDS,
    TITLE_CHANNELS,
    TITLE_GATE_POWER,
    TONE_TABLE,
    Channels,
    one_row_product,
)


def _stacked(channels: Channels, names: list[str],
             w: dict[str, float]) -> tuple[sparse.csr_matrix, sparse.csr_matrix] | None:
    """(query-side rows carrying the weights, stacked postings) of several text channels: one walk for all."""
    if not names:
        return None
    terms = sparse.csr_matrix(sparse.hstack([np.float32(w[name]) * channels.text[name] for name in names]))
    return terms, sparse.csr_matrix(sparse.vstack([channels.postings[name] for name in names]))


_KINDS = KIND_FACTORS  # indexed by `Channels.query_kind`


def _factor(kind: int, *names: str) -> np.float32:
    """The one factor these channels share for a query of this kind (they are summed into one term here)."""
    factors = {_KINDS[kind].get(name, 1.0) for name in names}
    if len(factors) != 1:
        raise ValueError(f"channels {', '.join(names)} share a term but not a query factor: {sorted(factors)}")
    return np.float32(factors.pop())


def _product(matrix: sparse.csr_matrix, postings: sparse.csr_matrix, row: int) -> np.ndarray | None:
    """`one_row_product`, or None when the query row has no terms (nothing to walk, nothing to add)."""
    if matrix.indptr[row] == matrix.indptr[row + 1]:
        return None
    return one_row_product(matrix, postings, row)


# Terms the scorer cannot scale per query: their channels must keep a factor of 1 for every kind.
_UNSCALED = ("description", "country", "same_maturity", "maturity_above", "tone")


class OneQueryScorer:
    """`scores(row)`: the blended score of every catalog item for one query row (float32)."""

    def __init__(self, channels: Channels, weights: np.ndarray) -> None:
        self._channels = channels
        w = {name: float(v) for name, v in zip(CHANNELS, weights, strict=False)}
        n = len(channels)
        for kind in range(len(_KINDS)):
            if _factor(kind, *_UNSCALED) != 1.0:
                raise ValueError(f"query factors on {', '.join(_UNSCALED)} are not supported by the scorer")
        # Per query kind (`Channels.query_kind`): the prior vectors (the part `KIND_CHANNELS` scales by the
        # genre agreement, and the rest), the era, title and embedding terms' factors.
        self._kind_scaled = (KIND_FLOOR != 1.0 or KIND_UNKNOWN != 1.0) and "genres" in channels.text
        self._prior = [np.zeros(n, dtype=np.float32) for _ in _KINDS]
        self._kind_prior = [np.zeros(n, dtype=np.float32) for _ in _KINDS]
        for i, name in enumerate(ITEM_CHANNELS):
            scaled = self._kind_prior if self._kind_scaled and name in KIND_CHANNELS else self._prior
            for kind, prior in enumerate(scaled):
                if w[name] and _KINDS[kind].get(name, 1.0):
                    prior += np.float32(w[name] * _KINDS[kind].get(name, 1.0)) * channels.item_features[i]
        self._era_factor = [_factor(kind, "era", "era_acclaim") for kind in range(len(_KINDS))]
        self._title_factor = [_factor(kind, *TITLE_CHANNELS) for kind in range(len(_KINDS))]
        self._embedding_factor = [_factor(kind, "embedding") for kind in range(len(_KINDS))]
        self._embedding_weight = np.float32(w["embedding"])
        self._era_rows, self._era_table = self._era(channels, w["era"], w["era_acclaim"])
        self._indicators = [
            (codes, self._indicator_rows(codes, w[name], skip), [np.float32(f.get(name, 1.0)) for f in _KINDS])
            for name, codes, skip in (
                ("same_language", channels.language, None),
                ("same_type", channels.content_type, None),
                ("same_maturity", channels.maturity_code, MATURITY_BANDS.index("unknown")),
            )
            if w[name]
        ]
        title = [name for name in TITLE_CHANNELS if name in channels.text and w[name]]
        # The gate channels are walked on their own: the title gate needs them, and a show query scales them.
        self._gate = [name for name in GATE_CHANNELS if name in channels.text
                      and (title or w[name] or (name == "genres" and self._kind_scaled))]
        self._gate_weights = [{name: np.float32(w[name] * factors.get(name, 1.0)) for name in self._gate}
                              for factors in _KINDS]
        rest = [name for name in channels.text if w[name] and name not in title and name not in self._gate]
        self._rest = _stacked(channels, rest, w)
        self._title = _stacked(channels, title, w)
        self._thin = channels.thin
        # The hub rows, one per query kind, weighted (`ranking.hubs`): (items, values) of its few nonzero cells.
        hubs = channels.hub_values
        self._hubs = [(hubs.indices[hubs.indptr[k]:hubs.indptr[k + 1]],
                       np.float32(w["hub"]) * hubs.data[hubs.indptr[k]:hubs.indptr[k + 1]])
                      for k in range(hubs.shape[0])] if w["hub"] else None
        self._hub_factor = [np.float32(f.get("hub", 1.0)) for f in _KINDS]
        above = np.float32(w["maturity_above"])
        self._above = ({int(c): above * channels.maturity_above(np.array([c]))[0] for c in range(len(MATURITY_BANDS))}
                       if above else {})
        # The genre agreement's factor on era and popularity where it is the same for every query of a type (a
        # film query's film candidates keep them whole, a candidate without genres gets `KIND_UNKNOWN`, and a
        # candidate whose genres share nothing with the query's `KIND_FLOOR`), and where the agreement enters.
        has_genres = channels.has_genres
        self._kind_base = [np.where(has_genres, np.where(channels.show | query_show, KIND_FLOOR, 1.0),
                                    KIND_UNKNOWN).astype(np.float32) for query_show in (False, True)]
        self._kind_open = [has_genres & (channels.show | query_show) for query_show in (False, True)]
        self._tone_weight = np.float32(w["tone"])
        self._tone_rows: dict[int, np.ndarray | None] = {}  # per query genre code, made on first use (`_tone`)
        # Indicator rows times a query kind's factor, made on first use (`_indicator`).
        self._scaled_rows: dict[tuple[int, int, float], np.ndarray] = {}

    @staticmethod
    def _era(channels: Channels, era: float, era_acclaim: float) -> tuple[dict[float, int], np.ndarray]:
        """One row per distinct known year, w_era * era + w_era_acclaim * era_acclaim as `Channels.channel`
        gives them, and a last row for a query of unknown year (every item at `ERA_UNKNOWN`)."""
        if not (era or era_acclaim):
            return {}, np.zeros((0, len(channels)), dtype=np.float32)
        years = np.unique(channels.year[np.isfinite(channels.year)])
        table = np.empty((len(years) + 1, len(channels)), dtype=np.float32)
        acclaim = np.float32(era_acclaim) * channels.acclaim
        for i, y in enumerate((*years, np.nan)):
            table[i] = np.float32(era) * channels.era_row(y, unknown=ERA_UNKNOWN) + acclaim * channels.era_row(y)
        return {float(y): i for i, y in enumerate(years)}, table

    @staticmethod
    def _indicator_rows(codes: np.ndarray, weight: float, skip: int | None) -> dict[int, np.ndarray]:
        return {
            int(c): np.float32(weight) * (codes == c).astype(np.float32)
            for c in np.unique(codes)
            if skip is None or c != skip
        }

    def _indicator(self, which: int, code: int, kind: int) -> np.ndarray | None:
        """The `which`-th indicator's row for items of `code`, times the query kind's factor (made once)."""
        _codes, rows, factors = self._indicators[which]
        row = rows.get(code)
        if row is None or factors[kind] == 1.0:
            return row
        key = (which, code, float(factors[kind]))
        scaled = self._scaled_rows.get(key)
        if scaled is None:
            scaled = self._scaled_rows.setdefault(key, factors[kind] * row)
        return scaled

    def _tone(self, code: int) -> np.ndarray | None:
        """The weighted `tone` row of a query with these genre bits (`Channels.tone`; None where it is all 0)."""
        if code not in self._tone_rows:
            ch = self._channels
            row = self._tone_weight * np.where(ch.has_genres, TONE_TABLE[code][ch.tone_code], np.float32(0.0))
            self._tone_rows[code] = row.astype(np.float32) if row.any() else None
        return self._tone_rows[code]

    def scores(self, row: int) -> np.ndarray:
        """Why it is written this way: every whole-catalog pass costs about as much as the arithmetic of a
        sparse term, so a term that is zero for most items (the title channels, the genre agreement, the hub
        row) is applied only where it is not, with the same float32 operations per item as `Channels.blend`."""
        ch = self._channels
        described = int(ch.describer[row])  # the row whose listing fields describe the query (its own, or borrowed)
        kind = int(ch.show[row]) + 2 * int(self._thin[described])
        total = self._prior[kind].copy()
        if self._rest is not None and (rest := _product(*self._rest, described)) is not None:
            total += rest
        # None: the query has no terms in that channel (a thin query has none in most), so it adds nothing.
        agreement = {name: _product(ch.text[name], ch.postings[name], described) for name in self._gate}
        gate_weights = self._gate_weights[kind]
        for name, values in agreement.items():
            if gate_weights[name] and values is not None:
                total += gate_weights[name] * values
        if self._title is not None and (title := _product(*self._title, row)) is not None:
            shared = np.flatnonzero(title != 0)  # a few hundred titles share a word; elsewhere the term is 0
            words = title[shared]
            if ch.has_genres[described]:  # `Channels.title_gate` for one query, on those titles only
                # holds genres (the title needs it); a channel without terms would add max(x, 0), which clip does
                gate = np.maximum.reduce([values[shared] for values in agreement.values() if values is not None])
                np.clip(gate, 0.0, 1.0, out=gate)
                if TITLE_GATE_POWER != 1.0:
                    gate **= np.float32(TITLE_GATE_POWER)
                gate[~ch.has_genres[shared]] = GATE_UNKNOWN
                words *= gate
            elif GATE_THIN != 1.0:
                words *= np.float32(GATE_THIN)
            if self._title_factor[kind] != 1.0:
                words *= self._title_factor[kind]
            total[shared] += words
        if self._embedding_weight:
            # vecdot: one dot product per item on this thread. A threaded BLAS call for a 1 x 64 x 19k product
            # costs more in thread hand-offs than in arithmetic on a busy host (measured 8 ms vs 0.4 ms), and
            # einsum's loop for this shape is slower (0.20 vs 0.17 ms). The cosines differ from einsum's by float
            # rounding (1e-7), and no served list moved (scripts/lists_identical.py); faiss's inner-product loop
            # (0.10 ms) rounded differently enough to swap two seasons whose scores had tied.
            weight = self._embedding_weight * self._embedding_factor[kind]
            total += weight * np.vecdot(ch.embeddings, ch.embeddings[row])
        # Era and the popularity priors, scaled by the genre agreement (`Channels.kind_agreement` for one query).
        kind_term = self._kind_prior[kind].copy() if self._kind_scaled else total
        if len(self._era_table) and self._era_factor[kind]:
            era = self._era_table[self._era_rows.get(float(ch.year[row]), -1)]
            kind_term += era if self._era_factor[kind] == 1.0 else self._era_factor[kind] * era
        if self._kind_scaled:
            if ch.has_genres[described]:
                # KIND_FLOOR + (1 - KIND_FLOOR) * agreement is KIND_FLOOR where the genres share nothing: the
                # per-type base row holds that and the fixed values, the agreement changes the rest.
                genres = agreement["genres"]  # has terms: the query has genres
                assert genres is not None
                query_show = bool(ch.show[row])
                agree = np.flatnonzero(genres != 0)  # != 0: numpy finds bools faster
                agree = agree[self._kind_open[query_show][agree]]
                factor = np.clip(genres[agree], 0.0, 1.0)
                factor *= np.float32(1.0 - KIND_FLOOR)
                factor += np.float32(KIND_FLOOR)
                factor *= kind_term[agree]
                kind_term *= self._kind_base[query_show]
                kind_term[agree] = factor
            total += kind_term
        for which, (codes, _rows, _factors) in enumerate(self._indicators):
            indicator = self._indicator(which, int(codes[row]), kind)
            if indicator is not None:
                total += indicator
        if self._above:
            total += self._above[int(ch.maturity_code[row])]
        tone = self._tone(int(ch.tone_code[described])) if self._tone_weight and ch.has_genres[described] else None
        if tone is not None:
            total += tone
        if self._hubs is not None:
            items, values = self._hubs[ch.hub_kind[row]]
            total[items] += values if self._hub_factor[kind] == 1.0 else self._hub_factor[kind] * values
        return total
