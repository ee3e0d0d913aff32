"""The vote channel: what the community said about (query, title) pairs, as a bounded ranking term.

Why it looks like this:
- **Beta smoothing.** A pair's up-rate is a Beta posterior mean whose prior is centred on the title's
  smoothed up-rate from its other pairs' votes, itself centred on the global up-rate, each worth
  `prior_strength` pseudo-votes. With 20 pseudo-votes, 2 up votes move a pair by a few hundredths,
  200 by almost the whole way: a few friends cannot swing a list, a community can. Pairs nobody
  voted on get nothing, so the lists of titles nobody voted on stay as the content ranking makes them.
- **Bounded.** The channel adds `weight * (pair rate - global rate)` (so at most `weight`) and only to
  the content ranking's top `shortlist` titles for that query: votes re-order titles that are
  already related; an unrelated title gets nothing however many accounts up-vote it. Safety is not
  its business either: `Ranker.rank` applies the maturity exclusions and tiers after the sum, and a
  tier gap (1e4) is far beyond any weight.
- **Fitted offline.** `weight` is chosen on past votes (`fit_vote_weight`: the weight that best ranks
  held-out up-votes above held-out down-votes, votes split by time) and saved as `vote_channel.json`
  in the model version it was fitted for, with its provenance; the package ships a default.
- **Plain data in.** Counts arrive as a DataFrame (`query_title, item_title, up, down`: see
  `feedback.vote_stats`, or a CSV exported from it); this module never touches the database.

- **Seen marks are a weak 👍.** A pair's `seen` count (members who were shown the title for that
  query and marked it as seen without voting on it, see `feedback.vote_stats`) is added to its up
  votes as `seen_weight` of a vote each. The package's 0.37 is the net vote a watched title gets:
  in the MovieTweetings ratings (every rating there is a title someone watched) 51% are likes
  (>= 8) and 14% dislikes (<= 5), so a "seen" says +0.51 - 0.14 = 0.37 of a 👍 on average. The
  global rate stays the explicit votes' own, so marks only ever lift the pairs they name, and they
  pass through the same shortlist and weight bounds as votes.
- **Members' co-likes (off unless `co_like_weight`).** Each member's likes as the bot saw them (the
  titles they asked about in a request they then voted on, and the titles they 👍) make an item-item
  co-like score, c(q, t) / (sqrt(n_q * n_t) + co_like_shrink) (c members liked both, n_x liked x), the
  same recipe as the co-like judgments. So a 👍 for *Tenet* from a member who asked about *Inception*
  also informs *Inception*'s list when nobody voted on (Inception, Tenet), and reaches titles that
  were never shown for that query. Bounded like the rest: at most `co_like_weight`, only on the
  content ranking's top `co_like_shortlist` titles (a brigade of accounts liking a kids' title and an
  unrelated one moves neither into a list they are not already near), before the maturity rules.
- **A member's own taste (`taste_weight`, with co-likes).** The titles one member liked (asked about
  or 👍) re-rank that member's own list lightly: `member_taste` is the mean co-like score of a title
  with each of them. The bot adds `taste_weight` times it among the list and the titles right below
  it (`bot.recommend.personal`), never on a list the maturity rule shapes.
- **The embedding correction (off unless `correction_weight`).** A vote-trained correction of the item
  embedding (`recommender.ranking.correction`, fitted at retrain) adds `correction_weight` times the
  change it makes to the query-title cosine, on the content top `correction_shortlist` titles only;
  the other terms' shortlists are then drawn from those corrected scores, inside that shortlist.
- **Exploration (off unless `explore_slot`).** `thompson_slot` may give the last slot of a list to a
  title from just below it whose vote estimate is uncertain but could be high: each candidate's vote
  term is drawn from its pair's Beta posterior instead of taking its mean (Thompson sampling), so a
  pair with many votes barely moves and one nobody voted on gets a chance to collect votes. It only
  chooses among titles the ranking itself put right below the list (so never an unrelated one), and
  the caller never explores a list under the maturity rule (`bot.recommend.personal`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import sparse

from recommender.ranking.correction import EmbeddingCorrection

SETTINGS_FILE = "vote_channel.json"
PAIR_COLUMNS = ("query_title", "item_title", "up", "down")  # + optional "seen" (0 when absent)
# Candidate weights for the offline fit (content scores of neighbouring ranks differ by ~0.001-0.01).
WEIGHT_GRID = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
# Below this many held-out (up, down) comparisons a fit says nothing: the previous weight is kept.
MIN_COMPARISONS = 30


@dataclass(frozen=True)
class VoteSettings:
    """The channel's few global numbers and where the weight came from."""

    weight: float = 0.05
    prior_strength: float = 20.0
    shortlist: int = 30
    fitted: dict = field(default_factory=dict)
    seen_weight: float = 0.0  # an up vote's worth of one seen mark (the package file sets it; see above)
    explore_slot: bool = False  # Thompson-sample the list's last slot (see above)
    co_like_weight: float = 0.0  # members' co-likes (0: off; see above)
    co_like_shortlist: int = 100
    co_like_shrink: float = 1.0
    taste_weight: float = 0.0  # a member's own likes as a re-rank of their list (needs co-likes; see above)
    correction_weight: float = 0.0  # the vote-trained embedding correction (0: off; ranking.correction)
    correction_shortlist: int = 300

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> VoteSettings:
        data = json.loads(text)
        settings = cls(float(data["weight"]), float(data["prior_strength"]), int(data["shortlist"]),
                       dict(data.get("fitted", {})), float(data.get("seen_weight", 0.0)),
                       bool(data.get("explore_slot", False)), float(data.get("co_like_weight", 0.0)),
                       int(data.get("co_like_shortlist", 100)), float(data.get("co_like_shrink", 1.0)),
                       float(data.get("taste_weight", 0.0)), float(data.get("correction_weight", 0.0)),
                       int(data.get("correction_shortlist", 300)))
        if (settings.weight < 0 or settings.weight > 1 or settings.prior_strength <= 0 or settings.shortlist < 1
                or not 0 <= settings.seen_weight <= 1 or not 0 <= settings.co_like_weight <= 1
                or settings.co_like_shortlist < 1 or settings.co_like_shrink < 0
                or not 0 <= settings.taste_weight <= 1 or not 0 <= settings.correction_weight <= 1
                or settings.correction_shortlist < 1):
            raise ValueError(f"vote channel settings out of range: {data}")
        return settings

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> VoteSettings:
        """The settings fitted for a model version (its `vote_channel.json`), else the package's."""
        if model_dir is not None and (Path(model_dir) / SETTINGS_FILE).is_file():
            return cls.from_json((Path(model_dir) / SETTINGS_FILE).read_text(encoding="utf-8"))
        return cls.from_json(resources.files("recommender.ranking").joinpath(SETTINGS_FILE).read_text("utf-8"))

    def save(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / SETTINGS_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def smoothed_rate(up: np.ndarray, down: np.ndarray, prior_rate: np.ndarray | float, strength: float) -> np.ndarray:
    """Posterior mean of a Beta(strength * prior, strength * (1 - prior)) after `up` and `down`."""
    up = np.asarray(up, dtype=np.float64)
    return (up + strength * np.asarray(prior_rate, dtype=np.float64)) / (up + np.asarray(down) + strength)


def read_pair_counts(path: str | Path) -> pd.DataFrame:
    """Pair counts from a CSV with the `PAIR_COLUMNS` header (an export of `feedback.vote_stats`)."""
    frame = pd.read_csv(path, dtype={"query_title": str, "item_title": str}, keep_default_na=False)
    missing = [c for c in PAIR_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"vote counts file {path}: missing column(s) {', '.join(missing)}")
    return frame[[*PAIR_COLUMNS, *(["seen"] if "seen" in frame.columns else [])]]


class TitleRows(Protocol):
    """Exact title -> catalog row, for a catalog too large for a dict of every title."""

    def __len__(self) -> int: ...

    def get(self, title: str, default: int | None = None) -> int | None: ...


class VoteChannel:
    """Smoothed vote rates for one model's catalog; `scores(row, content)` is the bounded addition.

    `titles` is the catalog's titles in row order, or a `TitleRows` lookup: votes name titles, and
    a dict of every title costs about 150 MB at a million titles, so a large catalog passes a lookup
    and only the voted titles are looked up. `member_votes` (each member's latest vote per pair,
    `feedback.vote_stats.member_votes`) feed the members' co-likes when `settings.co_like_weight` > 0.
    """

    def __init__(self, pairs: pd.DataFrame, titles: Sequence[str] | TitleRows,
                 settings: VoteSettings | None = None, member_votes: pd.DataFrame | None = None,
                 correction: EmbeddingCorrection | None = None, embeddings: np.ndarray | None = None) -> None:
        self.settings = settings or VoteSettings()
        # The embedding correction fitted at retrain (`ranking.correction`), with the unit content
        # embedding it corrects; off unless both are given and `correction_weight` > 0.
        self._correction = (correction if correction is not None and embeddings is not None
                            and self.settings.correction_weight > 0 else None)
        self._embeddings = embeddings
        n = len(titles)
        self.row_of: Mapping[str, int] | TitleRows = (
            {str(t): i for i, t in enumerate(titles)} if isinstance(titles, Sequence) else titles
        )
        voted = pd.unique(pd.concat([pairs["query_title"], pairs["item_title"]]).astype(str))
        rows = {title: self.row_of.get(title) for title in voted}
        q = pairs["query_title"].astype(str).map(rows)
        r = pairs["item_title"].astype(str).map(rows)
        known = q.notna() & r.notna()
        # Votes on titles this catalog lacks (an older catalog) are left out, and counted.
        self.unknown_pairs = int((~known).sum())
        q_rows, r_rows = q[known].to_numpy(np.int64), r[known].to_numpy(np.int64)
        voted_up = pairs["up"][known].to_numpy(np.float64)
        down = pairs["down"][known].to_numpy(np.float64)
        seen = pairs["seen"][known].to_numpy(np.float64) if "seen" in pairs.columns else np.zeros(len(down))
        self.votes = float(voted_up.sum() + down.sum())
        self.seen_marks = float(seen.sum())
        s = self.settings.prior_strength
        # Laplace-smoothed so an all-up or all-down start does not give a prior of exactly 0 or 1.
        # From explicit votes only: a seen mark lifts its own pair, it does not lower everyone else's.
        self.global_rate = float((voted_up.sum() + 1.0) / (self.votes + 2.0))
        up = voted_up + self.settings.seen_weight * seen
        item_up = np.bincount(r_rows, weights=up, minlength=n)
        item_down = np.bincount(r_rows, weights=down, minlength=n)
        item_rate = smoothed_rate(item_up, item_down, self.global_rate, s)
        self._item_delta = (item_rate - self.global_rate).astype(np.float64)
        self._item_rate = item_rate
        # A pair's prior is its title's rate from the OTHER pairs' votes: no vote is counted twice.
        others_rate = smoothed_rate(item_up[r_rows] - up, item_down[r_rows] - down, self.global_rate, s)
        pair_delta = smoothed_rate(up, down, others_rate, s) - self.global_rate
        order = np.argsort(q_rows, kind="stable")
        q_sorted = q_rows[order]
        starts = np.searchsorted(q_sorted, np.arange(n + 1))
        self._pair_start = starts
        self._pair_items = r_rows[order]
        self._pair_delta = pair_delta[order]
        self._pair_alpha = (up + s * others_rate)[order]  # the pair's Beta posterior (for exploration)
        self._pair_beta = (down + s * (1 - others_rate))[order]
        self.voted_items = int(np.count_nonzero((item_up + item_down) > 0))
        self._member_row: dict[int, int] = {}
        self._likes = (self._member_likes(member_votes, n)
                       if member_votes is not None and self.settings.co_like_weight > 0 else None)
        self.evidence = self.votes + self.settings.seen_weight * self.seen_marks

    def __len__(self) -> int:
        return len(self._item_delta)

    def _member_likes(self, member_votes: pd.DataFrame, n: int) -> sparse.csr_matrix:
        """(members, titles) 0/1: what each member asked about (in a request they voted on) or 👍."""
        liked = pd.concat([
            member_votes.loc[member_votes["value"] > 0, ["user_id", "item_title"]].rename(
                columns={"item_title": "title"}),
            member_votes[["user_id", "query_title"]].rename(columns={"query_title": "title"}),
        ]).drop_duplicates()
        titles = pd.unique(liked["title"].astype(str))
        rows = {title: self.row_of.get(title) for title in titles}
        item = liked["title"].astype(str).map(rows)
        liked = liked[item.notna()]
        members, member_ids = pd.factorize(liked["user_id"])
        self._member_row = {int(m): i for i, m in enumerate(member_ids)}
        likes = sparse.csr_matrix((np.ones(len(liked)), (members, item[item.notna()].to_numpy(np.int64))),
                                  shape=(int(members.max()) + 1 if len(members) else 0, n))
        self._likers = np.asarray(likes.sum(axis=0)).ravel()
        # Members who liked both, for every pair of liked titles, counted once here (a few hundred
        # thousand pairs at 20,000 requests' votes): a request then reads one row instead of
        # multiplying sparse matrices, which cost more than the rest of its vote terms together.
        co = (likes.T.tocsr() @ likes).tocsr()
        co.sort_indices()
        self._co = co
        return likes

    def _co_counts(self, row: int, items: np.ndarray) -> np.ndarray:
        """Members who liked both `row` and each of `items` (a lookup in the sorted row of counts)."""
        lo, hi = self._co.indptr[row], self._co.indptr[row + 1]
        cols, counts = self._co.indices[lo:hi], self._co.data[lo:hi]
        if hi == lo:
            return np.zeros(len(items), dtype=np.float64)
        at = np.minimum(np.searchsorted(cols, items), hi - lo - 1)
        return np.where(cols[at] == items, counts[at], 0.0)

    def co_likes(self, row: int, items: np.ndarray) -> np.ndarray:
        """Members' co-like score of each of `items` with query `row` (zero without co-likes)."""
        out = np.zeros(len(items), dtype=np.float64)
        if self._likes is None or self._likers[row] == 0:
            return out
        both = self._co_counts(row, np.asarray(items, dtype=np.int64))
        return both / (np.sqrt(self._likers[row] * self._likers[items]) + self.settings.co_like_shrink)

    def member_taste(self, user_id: int, items: np.ndarray) -> np.ndarray:
        """Mean co-like score of each of `items` with the titles member `user_id` liked (zero for a
        member the votes do not know, or without co-likes)."""
        out = np.zeros(len(items), dtype=np.float64)
        member = self._member_row.get(int(user_id))
        if self._likes is None or member is None:
            return out
        liked = self._likes[member].indices
        items = np.asarray(items, dtype=np.int64)
        # Members who liked both, for every (liked title, item): the counts are symmetric, so one
        # lookup per item (a list's 15 or so) rather than per liked title.
        both = np.stack([self._co_counts(int(item), liked) for item in items], axis=1) if len(items) else \
            np.zeros((len(liked), 0))
        scale = np.sqrt(np.outer(self._likers[liked], self._likers[items])) + self.settings.co_like_shrink
        out = (both / scale).sum(axis=0)
        out[np.isin(items, liked)] = 0.0  # what they liked already is no discovery
        return out / max(len(liked), 1)

    def rate_delta(self, row: int) -> np.ndarray:
        """Smoothed up-rate minus the global rate of every item as an answer to query `row`; zero for
        the pairs nobody voted on. (A title's rate alone is only the prior of its pairs: spread over
        every list it moved globally liked titles into unrelated queries' lists, the popularity trap,
        and cost NDCG on the queries nobody voted on in the simulator; see README.)"""
        delta = np.zeros(len(self._item_delta), dtype=np.float64)
        lo, hi = self._pair_start[row], self._pair_start[row + 1]
        delta[self._pair_items[lo:hi]] = self._pair_delta[lo:hi]
        return delta

    def posterior(self, row: int, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta (alpha, beta) of each item's up-rate as an answer to query `row`: its pair's votes on
        the pair prior, or, for a pair nobody voted on, the title's smoothed rate as a prior alone."""
        items = np.asarray(items, dtype=np.int64)
        s = self.settings.prior_strength
        alpha, beta = s * self._item_rate[items], s * (1 - self._item_rate[items])
        lo, hi = self._pair_start[row], self._pair_start[row + 1]
        where = {int(r): j for j, r in enumerate(self._pair_items[lo:hi].tolist())}
        for i, item in enumerate(items.tolist()):
            j = where.get(item)
            if j is not None:
                alpha[i], beta[i] = self._pair_alpha[lo + j], self._pair_beta[lo + j]
        return alpha, beta

    def scores(self, row: int, content: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """The addition to `content` (the blended scores of query `row`): weight * rate delta on the
        content top-`shortlist` titles and co_like_weight * co-likes on the top-`co_like_shortlist`
        (among `allowed`, the query left out), zero everywhere else."""
        out = np.zeros(len(content), dtype=np.float64)
        pairs_count = self.settings.weight > 0 and self.evidence > 0
        if not pairs_count and self._likes is None and self._correction is None:
            return out
        eligible = np.ones(len(content), dtype=bool) if allowed is None else allowed.copy()
        eligible[row] = False
        candidates = np.flatnonzero(eligible)
        ranked = content
        if self._correction is not None:  # first: the other terms' shortlists come from the corrected scores
            assert self._embeddings is not None
            near = _top(content, candidates, self.settings.correction_shortlist)
            out[near] = self.settings.correction_weight * self._correction.cosine_change(self._embeddings, row, near)
            ranked = content + out
            candidates = near  # nothing outside the correction's shortlist moves either way
        if self._likes is not None:
            wide = _top(ranked, candidates, self.settings.co_like_shortlist)
            out[wide] += self.settings.co_like_weight * self.co_likes(row, wide)
            if self.settings.co_like_shortlist >= self.settings.shortlist:
                candidates = wide  # the narrower shortlist is inside the wider: partition 200, not the catalog
        shortlist = _top(ranked, candidates, self.settings.shortlist)
        if not pairs_count or len(shortlist) == 0:
            return out
        out[shortlist] += self.settings.weight * self.rate_delta(row)[shortlist]
        return out


def _top(content: np.ndarray, candidates: np.ndarray, n: int) -> np.ndarray:
    """The `n` candidates with the highest content scores (all of them when fewer)."""
    n = min(n, len(candidates))
    return candidates[np.argpartition(-content[candidates], n - 1)[:n]] if n else candidates


EXPLORE_POOL = 10  # titles right below a list that its explore slot may draw from


def thompson_slot(channel: VoteChannel, query_title: str, titles: Sequence[str], scores: Sequence[float],
                  rng: np.random.Generator) -> int:
    """Which of `titles` (the list's last title first, then the ones ranked right below it, with the
    scores they were ranked by) takes the last slot: the best score once each title's vote term is
    a draw from its posterior instead of its mean. 0 keeps the list as ranked. Titles the catalog
    lacks are never chosen."""
    row = channel.row_of.get(str(query_title))
    if row is None or len(titles) < 2 or channel.settings.weight == 0:
        return 0
    rows = np.array([channel.row_of.get(str(t), -1) for t in titles], dtype=np.int64)
    known = rows >= 0
    alpha, beta = channel.posterior(row, np.where(known, rows, 0))
    drawn = rng.beta(alpha, beta) - alpha / (alpha + beta)  # the draw's departure from the mean
    sampled = np.asarray(scores, dtype=np.float64) + channel.settings.weight * drawn
    sampled[~known] = -np.inf
    sampled[0] = scores[0] + channel.settings.weight * drawn[0] if known[0] else scores[0]
    return int(np.argmax(sampled))


@dataclass(frozen=True)
class WeightFit:
    """The fitted settings and the held-out figures they were chosen on."""

    settings: VoteSettings
    auc_by_weight: dict[float, float]
    comparisons: int
    counted_votes: int
    held_out_votes: int


def _pairwise_auc(scores: np.ndarray, values: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """Share of (up, down) pairs of the same query that `scores` orders right (ties count half)."""
    right, total = 0.0, 0
    for g in np.unique(groups):
        mask = groups == g
        ups, downs = scores[mask & (values > 0)], scores[mask & (values < 0)]
        if len(ups) == 0 or len(downs) == 0:
            continue
        diff = ups[:, None] - downs[None, :]
        right += float((diff > 0).sum() + 0.5 * (diff == 0).sum())
        total += diff.size
    return (right / total if total else float("nan")), total


def fit_vote_weight(
    member_votes: pd.DataFrame,
    titles: Sequence[str],
    content_scores,
    *,
    previous: VoteSettings | None = None,
    held_out_share: float = 0.2,
    grid: Sequence[float] = WEIGHT_GRID,
    provenance: dict | None = None,
) -> WeightFit:
    """Choose the channel weight on past votes: the oldest votes are counted, the newest
    `held_out_share` judge, and the weight whose served scores best put held-out up-votes above
    held-out down-votes for the same query wins (ties: the smaller weight).

    `member_votes` has one row per member and pair (`feedback.vote_stats.member_votes`), oldest
    first; `content_scores(row)` is the blended content score vector of a query row.
    """
    previous = previous or VoteSettings()
    votes = member_votes.reset_index(drop=True)
    cut = round(len(votes) * (1 - held_out_share))
    past, held = votes.iloc[:cut], votes.iloc[cut:]
    counts = (
        past.assign(up=(past["value"] > 0).astype(int), down=(past["value"] < 0).astype(int))
        .groupby(["query_title", "item_title"], as_index=False)[["up", "down"]].sum()
    )
    unit = VoteChannel(counts, titles, replace(previous, weight=1.0))
    q = held["query_title"].astype(str).map(unit.row_of.get)
    r = held["item_title"].astype(str).map(unit.row_of.get)
    known = q.notna() & r.notna()
    q_rows, r_rows = q[known].to_numpy(np.int64), r[known].to_numpy(np.int64)
    values = held["value"][known].to_numpy(np.int64)
    content = np.zeros(len(q_rows))
    votes_part = np.zeros(len(q_rows))
    for row in np.unique(q_rows):
        mask = q_rows == row
        base = np.asarray(content_scores(int(row)), dtype=np.float64)
        content[mask] = base[r_rows[mask]]
        votes_part[mask] = unit.scores(int(row), base)[r_rows[mask]]
    auc = {}
    comparisons = 0
    for w in grid:
        auc[float(w)], comparisons = _pairwise_auc(content + w * votes_part, values, q_rows)
    fitted = {"counted_votes": len(past), "held_out_votes": len(held), "comparisons": comparisons,
              "held_out_auc": {str(w): (None if np.isnan(a) else round(a, 4)) for w, a in auc.items()},
              **(provenance or {})}
    if comparisons < MIN_COMPARISONS:
        fitted["kept_previous"] = f"only {comparisons} held-out (up, down) comparisons (< {MIN_COMPARISONS})"
        settings = replace(previous, fitted={**previous.fitted, "last_attempt": fitted})
    else:
        best = max(auc, key=lambda w: (round(auc[w], 6), -w))
        settings = replace(previous, weight=best, fitted=fitted)
    return WeightFit(settings, auc, comparisons, len(past), len(held))
