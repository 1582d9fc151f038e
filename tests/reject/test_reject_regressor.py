"""RejectOptionRegressor: abstain where the predictive std is largest."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import beta, norm
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import KFold, cross_val_predict

from sk_mcdropout import MCDropoutRegressor, RejectOptionRegressor


class LookupRegressor(BayesianRidge):
    """A fitted regressor whose mean and std are stored per row id (X[:, 0])."""

    def __init__(self, mean=None, std=None):
        self.mean = mean
        self.std = std

    def fit(self, X, y):
        self.n_features_in_ = 1
        return self

    def predict(self, X, return_std=False):
        ids = np.asarray(X)[:, 0].astype(int)
        if return_std:
            return self.mean[ids], self.std[ids]
        return self.mean[ids]


@pytest.fixture(scope="module")
def heteroscedastic():
    """y = x + noise whose std is |x|; the model knows the std exactly."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-2, 2, size=6000)
    std = np.abs(x) + 0.05
    y = x + std * rng.normal(size=x.size)
    model = LookupRegressor(mean=x, std=std).fit(None, None)
    ids = np.arange(x.size).reshape(-1, 1)
    return FrozenEstimator(model), ids, y, std


def test_coverage_rejects_the_largest_std(heteroscedastic):
    frozen, ids, y, std = heteroscedastic
    reg = RejectOptionRegressor(frozen, coverage=0.7).fit(ids[:3000], y[:3000])
    assert reg.cv_coverage_ == pytest.approx(0.7, abs=1 / 3000)
    assert reg.threshold_ == pytest.approx(
        np.quantile(std[:3000], 0.7, method="inverted_cdf")
    )
    rejected = reg.reject(ids[3000:])
    assert_array_equal(rejected, std[3000:] > reg.threshold_)
    assert abs((~rejected).mean() - 0.7) < 0.03
    y_pred = reg.predict(ids[3000:])
    assert np.isnan(y_pred[rejected]).all()
    assert np.isfinite(y_pred[~rejected]).all()
    # Rejecting the largest std removes the largest errors.
    errors = (y[3000:] - frozen.predict(ids[3000:])) ** 2
    assert errors[~rejected].mean() < 0.6 * errors.mean()


def test_max_risk_on_squared_error_is_largest_coverage_within_risk(heteroscedastic):
    frozen, ids, y, std = heteroscedastic
    reg = RejectOptionRegressor(frozen, max_risk=0.5).fit(ids[:3000], y[:3000])
    order = np.argsort(std[:3000])
    squared = ((y[:3000] - frozen.predict(ids[:3000])) ** 2)[order]
    risk = np.cumsum(squared) / np.arange(1, 3001)
    expected = (np.flatnonzero(risk <= 0.5)[-1] + 1) / 3000
    assert reg.cv_coverage_ == pytest.approx(expected)
    assert reg.cv_risk_ <= 0.5


def test_interval_miss_guarantee_bound_is_clopper_pearson(heteroscedastic):
    # Where the std is large the noise is twice what the model says, so its
    # intervals miss there much more often than nominal: rejecting helps.
    frozen, ids, y, std = heteroscedastic
    mean = frozen.estimator.mean
    y = mean + np.where(std > 1, 2.0, 1.0) * (y - mean)
    model_std = std
    model = frozen.estimator
    reg = RejectOptionRegressor(
        FrozenEstimator(model),
        max_risk=0.2,
        confidence=0.9,
        loss="interval_miss",
        interval_level=0.9,
    ).fit(ids[:2000], y[:2000])
    mean, s = model.predict(ids[:2000], return_std=True)
    miss = np.abs(y[:2000] - mean) > norm.ppf(0.95) * s
    accepted = s <= reg.threshold_
    k, n = miss[accepted].sum(), accepted.sum()
    assert reg.risk_bound_ == pytest.approx(beta.ppf(0.9, k + 1, n - k))
    assert reg.risk_bound_ <= 0.2
    assert reg.cv_risk_ == pytest.approx(k / n)
    assert 0.4 < reg.cv_coverage_ < 0.8
    # On new rows from the same distribution, the misses stay within bounds.
    rejected = reg.reject(ids[2000:])
    new_miss = np.abs(y[2000:] - frozen.estimator.mean[2000:]) > (
        norm.ppf(0.95) * model_std[2000:]
    )
    assert new_miss[~rejected].mean() <= 0.2


def test_sgr_certifies_more_when_the_risk_is_flat(heteroscedastic):
    # A well-sized std: about 10% of the rows miss their 90% interval,
    # whatever their std.
    frozen, ids, y, _ = heteroscedastic
    params = dict(max_risk=0.15, confidence=0.9, loss="interval_miss")
    sgr = RejectOptionRegressor(frozen, correction="sgr", **params)
    ltt = RejectOptionRegressor(frozen, **params)
    sgr.fit(ids[:2000], y[:2000])
    with warnings.catch_warnings():
        # The fixed sequence may certify nothing here: that is the point.
        warnings.simplefilter("ignore", UserWarning)
        ltt.fit(ids[:2000], y[:2000])
    assert sgr.cv_coverage_ > 0.9
    assert sgr.cv_coverage_ >= ltt.cv_coverage_
    assert sgr.risk_bound_ <= 0.15


def test_non_finite_std_is_refused(heteroscedastic):
    frozen, ids, y, std = heteroscedastic
    bad = LookupRegressor(
        mean=frozen.estimator.mean, std=np.where(std > 1, np.nan, std)
    )
    with pytest.raises(ValueError, match="predicted std"):
        RejectOptionRegressor(FrozenEstimator(bad.fit(None, None))).fit(ids, y)


def test_cross_fitting_matches_cross_val_predict():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, 2.0, 0.0] + rng.normal(size=300)
    reg = RejectOptionRegressor(BayesianRidge(), coverage=0.8, cv=KFold(3)).fit(X, y)
    std = np.concatenate(
        [
            BayesianRidge().fit(X[train], y[train]).predict(X[test], return_std=True)[1]
            for train, test in KFold(3).split(X)
        ]
    )
    assert reg.threshold_ == pytest.approx(np.quantile(std, 0.8, method="inverted_cdf"))
    mean = cross_val_predict(BayesianRidge(), X, y, cv=KFold(3))
    assert_allclose(reg.estimator_.coef_, BayesianRidge().fit(X, y).coef_)
    assert np.isfinite(mean).all()


def test_mc_dropout_regressor_through_frozen_estimator():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(400, 1))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=400)
    model = MCDropoutRegressor(
        hidden_layer_sizes=(8,), epochs=5, n_samples=10, random_state=0
    ).fit(X[:200], y[:200])
    reg = RejectOptionRegressor(FrozenEstimator(model), coverage=0.75).fit(
        X[200:], y[200:]
    )
    _, std = model.predict(X[200:], return_std=True)
    assert_array_equal(reg.reject(X[200:]), std > reg.threshold_)
    assert reg.cv_coverage_ == pytest.approx(0.75, abs=1 / 200)
