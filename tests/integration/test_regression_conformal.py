"""MCDropoutRegressor's predictive std as the scale of normalised conformal
regression, in MAPIE (>= 1.0) and crepes: nominal coverage on held-out data."""

import numpy as np
import pytest

from sk_mcdropout import MCDropoutRegressor, PredictiveStd

CONFIDENCE = 0.9
# Marginal coverage over a draw of 400 calibration and 2,000 test rows has a
# standard deviation of about sqrt(0.09 / 400 + 0.09 / 2000) = 0.016.
TOLERANCE = 0.04


def _data(n, seed):
    """Noise std grows with |x|: a constant-width interval cannot be right."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, n)
    y = np.sin(x) + (0.05 + 0.15 * np.abs(x)) * rng.standard_normal(n)
    return x[:, None], y


@pytest.fixture(scope="module")
def splits():
    (X_train, y_train), (X_cal, y_cal), (X_test, y_test) = (
        _data(n, seed) for n, seed in ((300, 0), (400, 1), (2000, 2))
    )
    return X_train, X_cal, X_test, y_train, y_cal, y_test


@pytest.fixture(scope="module")
def mc_reg(splits):
    X_train, _, _, y_train, _, _ = splits
    return MCDropoutRegressor(
        hidden_layer_sizes=(32,),
        noise="heteroscedastic",
        epochs=40,
        learning_rate=0.01,
        n_samples=30,
        random_state=0,
    ).fit(X_train, y_train)


def _check_intervals(low, high, X_test, y_test, mc_reg):
    covered = np.mean((y_test >= low) & (y_test <= high))
    assert abs(covered - CONFIDENCE) < TOLERANCE
    # Normalised: the half-width is one calibrated multiple of the std.
    mean, std = mc_reg.predict(X_test, return_std=True)
    np.testing.assert_allclose(
        (high - low) / 2 / std, np.median((high - low) / 2 / std)
    )
    np.testing.assert_allclose((high + low) / 2, mean, rtol=1e-6, atol=1e-9)
    return covered


def test_mapie_split_conformal_with_std_normalised_score(splits, mc_reg):
    mapie_regression = pytest.importorskip("mapie.regression")
    scores = pytest.importorskip("mapie.conformity_scores")
    _, X_cal, X_test, _, y_cal, y_test = splits
    conformal = mapie_regression.SplitConformalRegressor(
        estimator=mc_reg,
        confidence_level=CONFIDENCE,
        conformity_score=scores.ResidualNormalisedScore(
            residual_estimator=PredictiveStd(mc_reg), prefit=True
        ),
        prefit=True,
    ).conformalize(X_cal, y_cal)
    y_pred, y_pis = conformal.predict_interval(X_test)
    np.testing.assert_allclose(y_pred, mc_reg.predict(X_test))
    _check_intervals(y_pis[:, 0, 0], y_pis[:, 1, 0], X_test, y_test, mc_reg)


def test_crepes_normalised_conformal_regressor(splits, mc_reg):
    crepes = pytest.importorskip("crepes")
    _, X_cal, X_test, _, y_cal, y_test = splits
    mean_cal, std_cal = mc_reg.predict(X_cal, return_std=True)
    conformal = crepes.ConformalRegressor().fit(y_cal - mean_cal, sigmas=std_cal)
    mean, std = mc_reg.predict(X_test, return_std=True)
    intervals = conformal.predict_int(mean, sigmas=std, confidence=CONFIDENCE)
    _check_intervals(intervals[:, 0], intervals[:, 1], X_test, y_test, mc_reg)


def test_normalised_beats_constant_width_where_noise_varies(splits, mc_reg):
    # Why normalise: with a constant width, coverage is too high where the
    # noise is small and too low where it is large; the std fixes both.
    crepes = pytest.importorskip("crepes")
    _, X_cal, X_test, _, y_cal, y_test = splits
    mean_cal, std_cal = mc_reg.predict(X_cal, return_std=True)
    mean, std = mc_reg.predict(X_test, return_std=True)
    normalised = crepes.ConformalRegressor().fit(y_cal - mean_cal, sigmas=std_cal)
    constant = crepes.ConformalRegressor().fit(y_cal - mean_cal)
    noisy = np.abs(X_test[:, 0]) > 2
    for conformal, sigmas in ((normalised, std), (constant, None)):
        low, high = conformal.predict_int(mean, sigmas=sigmas, confidence=CONFIDENCE).T
        covered = (y_test >= low) & (y_test <= high)
        if sigmas is None:
            assert covered[noisy].mean() < CONFIDENCE - 0.1
        else:
            assert abs(covered[noisy].mean() - CONFIDENCE) < 0.06
