"""RejectOptionRegressor: abstain where the predictive std is largest."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import beta, norm
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, ShuffleSplit, cross_val_predict

from sk_mcdropout import MCDropoutRegressor, RejectOptionRegressor


@pytest.fixture(scope="module")
def heteroscedastic(lookup_regressor):
    """y = x + noise whose std is |x|; the model knows the std exactly."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-2, 2, size=6000)
    std = np.abs(x) + 0.05
    y = x + std * rng.normal(size=x.size)
    frozen, ids = lookup_regressor(x, std)
    return frozen, ids, y, std


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
    # Both rules by hand, on the misses in order of increasing std.
    mean, std = frozen.predict(ids[:2000], return_std=True)
    order = np.argsort(std)
    miss = (np.abs(y[:2000] - mean) > norm.ppf(0.95) * std)[order]
    expected_sgr, bound_sgr = certified_by_hand(miss, 0.15, 0.1, "sgr")
    expected_ltt, _ = certified_by_hand(miss, 0.15, 0.1, "fixed_sequence")
    assert sgr.cv_coverage_ == pytest.approx(expected_sgr)
    assert sgr.risk_bound_ == pytest.approx(bound_sgr)
    assert ltt.cv_coverage_ == pytest.approx(expected_ltt)
    assert sgr.cv_coverage_ > 0.9
    assert sgr.cv_coverage_ > ltt.cv_coverage_
    assert sgr.risk_bound_ <= 0.15


def certified_by_hand(losses, max_risk, delta, method):
    """Largest certified coverage and its bound, one candidate at a time.

    ``losses`` are 0/1 in order of increasing uncertainty, without ties.
    """
    n = losses.size
    errors = np.cumsum(losses)

    def bound(m, level):  # Clopper-Pearson, m rows accepted
        k = errors[m - 1]
        return 1.0 if k >= m else beta.ppf(1 - level, k + 1, m - k)

    if method == "sgr":
        level = delta / np.ceil(np.log2(n + 1))
        lo, hi, best = 0, n + 1, (0, np.nan)
        while hi - lo > 1:
            m = (lo + hi) // 2
            if bound(m, level) <= max_risk:
                lo, best = m, (m, bound(m, level))
            else:
                hi = m
        return best[0] / n, best[1]
    start = max(
        int(np.ceil(np.log(delta) / np.log1p(-max_risk) - 1e-9)), int(np.ceil(n / 10))
    )
    best = (0, np.nan)
    for m in range(start, n + 1):
        if bound(m, delta) > max_risk:
            break
        best = (m, bound(m, delta))
    return best[0] / n, best[1]


def test_non_finite_std_is_refused(heteroscedastic, lookup_regressor):
    frozen, ids, y, std = heteroscedastic
    bad, _ = lookup_regressor(frozen.estimator.mean, np.where(std > 1, np.nan, std))
    with pytest.raises(ValueError, match="predicted std"):
        RejectOptionRegressor(bad).fit(ids, y)


def test_cross_fitting_matches_cross_val_predict():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, 2.0, 0.0] + rng.normal(size=300)
    reg = RejectOptionRegressor(BayesianRidge(), coverage=0.8, cv=KFold(3), refit=True)
    reg.fit(X, y)
    std = np.concatenate(
        [
            BayesianRidge().fit(X[train], y[train]).predict(X[test], return_std=True)[1]
            for train, test in KFold(3).split(X)
        ]
    )
    assert reg.threshold_ == pytest.approx(np.quantile(std, 0.8, method="inverted_cdf"))
    # The held-out means are cross_val_predict's: the risk of the accepted
    # out-of-fold rows is their squared error.
    mean = cross_val_predict(BayesianRidge(), X, y, cv=KFold(3))
    accepted = std <= reg.threshold_
    assert accepted.mean() == pytest.approx(reg.cv_coverage_)
    assert reg.cv_risk_ == pytest.approx(np.mean((y - mean)[accepted] ** 2))
    assert_allclose(reg.estimator_.coef_, BayesianRidge().fit(X, y).coef_)
    # By default the fold models predict: each new row goes to one of them.
    default = RejectOptionRegressor(BayesianRidge(), coverage=0.8, cv=KFold(3))
    default.fit(X, y)
    assert default.threshold_ == reg.threshold_
    assert len(default.estimators_) == 3 and not hasattr(default, "estimator_")


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


def test_predict_with_std_and_score_on_accepted_rows(heteroscedastic):
    frozen, ids, y, std = heteroscedastic
    reg = RejectOptionRegressor(frozen, coverage=0.6).fit(ids[:3000], y[:3000])
    new = ids[3000:]
    rejected = std[3000:] > reg.threshold_
    mean, y_std = reg.predict(new, return_std=True)
    assert_array_equal(np.isnan(mean), rejected)
    assert_array_equal(np.isnan(y_std), rejected)
    assert_array_equal(mean[~rejected], frozen.estimator.mean[3000:][~rejected])
    assert_array_equal(y_std[~rejected], std[3000:][~rejected])
    assert_array_equal(reg.predict(new), mean)
    # score: R^2 of the accepted rows, weighted or not.
    accepted = ~rejected
    assert reg.score(new, y[3000:]) == pytest.approx(
        r2_score(y[3000:][accepted], mean[accepted])
    )
    weights = np.random.RandomState(1).uniform(0, 2, size=accepted.size)
    assert reg.score(new, y[3000:], sample_weight=weights) == pytest.approx(
        r2_score(y[3000:][accepted], mean[accepted], sample_weight=weights[accepted])
    )
    # Every row rejected: there is no R^2.
    none = RejectOptionRegressor(frozen, max_risk=0.0)
    with pytest.warns(UserWarning, match="every row will be rejected"):
        none.fit(ids[:3000], y[:3000])
    assert np.isnan(none.score(new, y[3000:]))


def test_sample_weight_weights_the_threshold_and_the_fit(heteroscedastic):
    frozen, ids, y, std = heteroscedastic
    weights = np.r_[np.zeros(1000), np.ones(2000)]
    weighted = RejectOptionRegressor(frozen, coverage=0.7)
    weighted.fit(ids[:3000], y[:3000], sample_weight=weights)
    half = RejectOptionRegressor(frozen, coverage=0.7).fit(ids[1000:3000], y[1000:3000])
    assert weighted.threshold_ == half.threshold_
    assert weighted.cv_coverage_ == pytest.approx(half.cv_coverage_)
    assert weighted.cv_risk_ == pytest.approx(half.cv_risk_)
    # With cross-fitting the weights also reach the estimator's fit.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    target = X @ [1.0, -1.0] + rng.normal(size=300)
    row_weights = np.where(X[:, 0] > 0, 5.0, 1.0)
    reg = RejectOptionRegressor(BayesianRidge(), cv=3, refit=True).fit(
        X, target, sample_weight=row_weights
    )
    expected = BayesianRidge().fit(X, target, sample_weight=row_weights)
    assert_allclose(reg.estimator_.coef_, expected.coef_)
    assert not np.allclose(reg.estimator_.coef_, BayesianRidge().fit(X, target).coef_)


def test_prefit_float_cv_and_random_state():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    y = X @ [1.0, 2.0] + (0.5 + np.abs(X[:, 0])) * rng.normal(size=400)
    fitted = BayesianRidge().fit(X[:200], y[:200])
    prefit = RejectOptionRegressor(fitted, coverage=0.8, cv="prefit").fit(
        X[200:], y[200:]
    )
    assert prefit.estimator_ is fitted
    _, std = fitted.predict(X[200:], return_std=True)
    assert prefit.threshold_ == np.quantile(std, 0.8, method="inverted_cdf")
    assert prefit.n_features_in_ == 2
    # A float cv is one seeded shuffle split of that held-out fraction.
    split = RejectOptionRegressor(
        BayesianRidge(), coverage=0.8, cv=0.25, random_state=3
    )
    split.fit(X, y)
    train, test = next(ShuffleSplit(1, test_size=0.25, random_state=3).split(X))
    held_out = BayesianRidge().fit(X[train], y[train])
    _, std = held_out.predict(X[test], return_std=True)
    assert split.threshold_ == pytest.approx(
        np.quantile(std, 0.8, method="inverted_cdf")
    )
    other = clone(split).set_params(random_state=4).fit(X, y)
    assert other.threshold_ != split.threshold_


def test_n_jobs_fits_the_folds_in_parallel_to_the_same_threshold():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    y = X @ [1.0, 2.0] + (0.5 + np.abs(X[:, 0])) * rng.normal(size=400)
    serial = RejectOptionRegressor(BayesianRidge(), cv=4).fit(X, y)
    parallel = RejectOptionRegressor(BayesianRidge(), cv=4, n_jobs=2).fit(X, y)
    assert parallel.threshold_ == serial.threshold_
    assert parallel.cv_risk_ == serial.cv_risk_


def test_cross_fitted_mc_dropout_regressor(make_regressor):
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(240, 1))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=240)
    network = make_regressor(hidden_layer_sizes=(8,), epochs=3)
    reg = RejectOptionRegressor(network, coverage=0.75, cv=KFold(2), refit=True)
    reg.fit(X, y)
    # Out-of-fold stds of clones fitted by hand: the same seeded fits.
    std = np.concatenate(
        [
            clone(network).fit(X[train], y[train]).predict(X[test], return_std=True)[1]
            for train, test in KFold(2).split(X)
        ]
    )
    assert reg.threshold_ == np.quantile(std, 0.75, method="inverted_cdf")
    assert reg.cv_coverage_ == pytest.approx(0.75, abs=1 / 240)
    # With refit=True the refitted network predicts, and rejects by its own
    # std.
    refitted = clone(network).fit(X, y)
    _, new_std = refitted.predict(X, return_std=True)
    assert_array_equal(reg.reject(X), new_std > reg.threshold_)
