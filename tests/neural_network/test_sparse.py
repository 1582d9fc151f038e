"""Sparse X, taken as MLPClassifier takes it: the same numbers as its dense form,
bit for bit, and never densified whole at prediction."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

KW = dict(hidden_layer_sizes=(8,), epochs=3, n_samples=7, random_state=0)
# Far below one chunk of the minimum size: prediction takes several chunks.
TINY_CHUNKS = 1e-3
FORMATS = [
    "csr_matrix",
    "csc_matrix",
    "coo_matrix",
    "csr_array",
    "csc_array",
    "coo_array",
]


def _data():
    """150 rows of 8 features, 60% zeros, 3 classes."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(150, 8))
    X[X < 0.6] = 0.0
    y = (X[:, :3].sum(axis=1) > 0.6).astype(int) + (X[:, 3:6].sum(axis=1) > 0.6)
    return X, y


X, Y = _data()
Y_REG = X @ np.linspace(-1.0, 1.0, X.shape[1])


@pytest.fixture(scope="module")
def clf():
    return MCDropoutClassifier(**KW).fit(X, Y)


@pytest.fixture(scope="module")
def reg():
    return MCDropoutRegressor(**KW).fit(X, Y_REG)


@pytest.fixture
def densified(monkeypatch):
    """Rows of every CSR matrix or array made dense during the test."""
    rows = []
    # Older SciPy's csr_array.toarray calls csr_matrix's: count the outer call.
    depth = [0]
    for container in (sp.csr_matrix, sp.csr_array):
        original = container.toarray

        def toarray(self, *args, _original=original, **kwargs):
            if not depth[0]:
                rows.append(self.shape[0])
            depth[0] += 1
            try:
                return _original(self, *args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(container, "toarray", toarray)
    return rows


@pytest.mark.parametrize(
    "fmt, params",
    [
        ("csr_matrix", {}),
        ("csc_matrix", {}),
        ("coo_array", {}),
        ("csr_array", {"early_stopping": True, "validation_fraction": 0.2}),
    ],
)
def test_classifier_fit_on_sparse_equals_fit_on_dense(clf, fmt, params):
    sparse = MCDropoutClassifier(**KW, **params).fit(getattr(sp, fmt)(X), Y)
    dense = MCDropoutClassifier(**KW, **params).fit(X, Y) if params else clf
    assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    assert sparse.loss_curve_ == dense.loss_curve_
    assert sparse.n_features_in_ == X.shape[1]


def test_partial_fit_on_sparse_equals_partial_fit_on_dense():
    sparse = MCDropoutClassifier(**KW)
    dense = MCDropoutClassifier(**KW)
    for rows in (slice(0, 80), slice(80, None)):
        sparse.partial_fit(sp.csr_array(X[rows]), Y[rows], classes=[0, 1, 2])
        dense.partial_fit(X[rows], Y[rows], classes=[0, 1, 2])
    assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("max_chunk_memory", [None, TINY_CHUNKS])
def test_classifier_prediction_on_sparse_equals_dense(clf, fmt, max_chunk_memory):
    est = copy.deepcopy(clf)
    if max_chunk_memory is not None:
        est.set_params(max_chunk_memory=max_chunk_memory)
    S = getattr(sp, fmt)(X)
    for method in (
        "predict",
        "predict_proba",
        "predict_uncertainty",
        "predict_proba_samples",
        "predict_proba_deterministic",
    ):
        assert_array_equal(getattr(est, method)(S), getattr(est, method)(X), method)
        # One row takes its own compiled path.
        one = sp.csr_array(S)[:1]
        assert_array_equal(getattr(est, method)(one), getattr(est, method)(X[:1]))
    assert est.score(S, Y) == est.score(X, Y)


def test_regressor_on_sparse_equals_dense(reg):
    sparse = MCDropoutRegressor(**KW).fit(sp.csr_matrix(X), Y_REG)
    assert_array_equal(
        sparse.predict(X, return_std=True), reg.predict(X, return_std=True)
    )
    assert_array_equal(sparse.noise_std_, reg.noise_std_)
    chunked = copy.deepcopy(reg).set_params(max_chunk_memory=TINY_CHUNKS)
    for S in (sp.csr_matrix(X), sp.csc_array(X)):
        assert_array_equal(
            chunked.predict(S, return_std=True), reg.predict(X, return_std=True)
        )
        for kind in ("total", "epistemic", "aleatoric"):
            assert_array_equal(
                chunked.predict_uncertainty(S, kind=kind),
                reg.predict_uncertainty(X, kind=kind),
            )
        assert_array_equal(
            chunked.predict_samples(S, return_noise_std=True),
            reg.predict_samples(X, return_noise_std=True),
        )
        assert_array_equal(
            chunked.predict_deterministic(S), reg.predict_deterministic(X)
        )
        assert chunked.score(S, Y_REG) == reg.score(X, Y_REG)


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_array", "coo_matrix"])
def test_prediction_densifies_one_chunk_of_rows_at_a_time(clf, densified, fmt):
    chunked = copy.deepcopy(clf).set_params(max_chunk_memory=TINY_CHUNKS)
    expected = chunked.predict_proba(X)
    proba = chunked.predict_proba(getattr(sp, fmt)(X))
    assert_array_equal(proba, expected)
    # Every row densified once, in several chunks, none of them the whole X.
    assert sum(densified) == X.shape[0]
    assert len(densified) > 1
    assert max(densified) < X.shape[0]


def test_wide_sparse_input_is_densified_within_the_memory_budget(densified):
    # One-hot input can be far wider than the network: a densified chunk
    # counts against max_chunk_memory too.
    rng = np.random.RandomState(0)
    wide = sp.random(600, 20_000, density=1e-3, format="csr", random_state=rng)
    y = rng.randint(0, 2, 600)
    est = MCDropoutClassifier(**{**KW, "max_chunk_memory": 64}).fit(wide, y)
    expected = est.predict_proba(wide.toarray())
    densified.clear()
    assert_array_equal(est.predict_proba(wide), expected)
    # 64 MiB holds 419 rows of 20,000 float32 columns twice over, fewer
    # beside the masked kernels; all 600 at once would take 92 MiB.
    assert max(densified) * 20_000 * 4 * 2 <= 64 * 2**20
    assert sum(densified) == 600
