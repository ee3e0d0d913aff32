"""One query's text-channel product: the numpy walk and scipy's compiled one give the same scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from recommender.ranking import channels
from recommender.ranking.channels import one_row_product


def _tfidf_like(rows: int = 300, terms: int = 60) -> sparse.csr_matrix:
    """Rows L2-normalised; a few terms in most rows (like the common character n-grams), the rest rare."""
    rng = np.random.default_rng(3)
    share = np.where(np.arange(terms) < 5, 0.6, 0.03)
    dense = (rng.random((rows, terms)) < share) * rng.random((rows, terms))
    dense[7] = 0.0  # a title with no terms at all
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return sparse.csr_matrix(np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0).astype(np.float32))


@pytest.mark.parametrize("threshold", [0, 10**12], ids=["compiled walk", "numpy walk"])
def test_one_query_product_equals_the_matrix_product_on_either_walk(
    threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix = _tfidf_like()
    postings = matrix.T.tocsr()
    expected = (matrix @ postings).toarray()
    monkeypatch.setattr(channels, "COMPILED_WALK", threshold)
    for row in range(matrix.shape[0]):
        got = one_row_product(matrix, postings, row)
        assert got.dtype == np.float32 and got.shape == (matrix.shape[0],)
        np.testing.assert_allclose(got, expected[row], atol=1e-6)
