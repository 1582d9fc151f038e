"""RejectionCurveDisplay of a fitted reject option: its own curve and point.

The curve is that of the reject option's ranking (measure and tie-breaker)
and loss, the rows of its novelty guard never accepted; the point its
threshold reaches on the data lies on it.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_mcdropout import (
    RejectionCurveDisplay,
    RejectOptionClassifier,
    RejectOptionRegressor,
)
from sk_mcdropout.metrics._selective import selective_curve

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_reject_option_plots_its_own_ranking_and_operating_point(lookup):
    # Passes that always agree: the variation ratio is 0 for every row, so
    # the plain curve is one point at coverage 1; the reject option breaks
    # the ties and reaches coverage 0.8, a point of its own curve.
    rng = np.random.RandomState(0)
    p1 = rng.uniform(size=500)
    frozen, ids = lookup(np.column_stack([1 - p1, p1]))
    y = (rng.uniform(size=500) < p1).astype(int)
    plain = RejectionCurveDisplay.from_estimator(
        frozen, ids, y, measure="variation_ratio"
    )
    assert_allclose(plain.coverage, [1.0])
    reject = RejectOptionClassifier(frozen, measure="variation_ratio", coverage=0.8)
    reject.fit(ids, y)
    disp = RejectionCurveDisplay.from_estimator(reject, ids, y, ax=plain.ax_)
    assert disp.coverage.size == 500
    scores = reject.rejection_scores(ids, y)
    curve = selective_curve(scores.loss, scores.uncertainty, scores.tiebreak)
    assert_array_equal(disp.coverage, curve.coverage)
    assert_array_equal(disp.selective_risk, curve.risk)
    # The operating point is on the curve: where the threshold stops.
    coverage, risk = disp.operating_point
    assert coverage == pytest.approx(0.8)
    index = int(np.flatnonzero(np.isclose(disp.coverage, coverage))[0])
    assert risk == pytest.approx(disp.selective_risk[index])
    assert risk == pytest.approx(((scores.y_pred != y)[~scores.rejected]).mean())
    assert_allclose(disp.point_.get_xydata(), [[coverage, risk]])
    assert disp.point_.get_color() == disp.line_.get_color()
    assert disp.bound_ is None  # no confidence, no bound
    assert disp.line_.get_label().startswith("variation_ratio (AURC = ")
    with pytest.raises(ValueError, match="plotted with its own measure"):
        RejectionCurveDisplay.from_estimator(
            reject, ids, y, measure="predictive_entropy"
        )


def test_certified_bound_and_error_cost_are_the_reject_options(lookup):
    rng = np.random.RandomState(1)
    p1 = rng.uniform(0, 0.5, size=3000)
    frozen, ids = lookup(np.column_stack([1 - p1, p1]), classes=("No", "Yes"))
    y = np.where(rng.uniform(size=3000) < 0.4 * p1, "Yes", "No")
    cost = {"Yes": 1.0, "No": 0.5}
    reject = RejectOptionClassifier(
        frozen, max_risk=0.05, confidence=0.9, error_cost=cost
    ).fit(ids[:2000], y[:2000])
    disp = RejectionCurveDisplay.from_estimator(reject, ids[2000:], y[2000:])
    assert disp.risk_bound == reject.risk_bound_
    coverage, risk = disp.operating_point
    assert_allclose(
        disp.bound_.get_xydata(), [[coverage, risk], [coverage, reject.risk_bound_]]
    )
    # The risk is the reject option's: the mean cost of the accepted rows.
    accepted = ~reject.reject(ids[2000:])
    wrong = reject.rejection_scores(ids[2000:]).y_pred != y[2000:]
    row_cost = np.where(y[2000:] == "Yes", 1.0, 0.5) * wrong
    assert risk == pytest.approx(row_cost[accepted].mean())
    assert coverage == pytest.approx(accepted.mean())
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert labels[1:] == [
        f"threshold: coverage {coverage:.2g}, risk {risk:.2g}",
        f"certified bound {reject.risk_bound_:.2g}",
    ]


def test_novelty_guard_rows_are_never_accepted(lookup):
    rng = np.random.RandomState(2)
    samples = rng.dirichlet([1.0, 1.0], size=(5, 400))
    frozen, ids = lookup(samples=samples)
    y = rng.randint(0, 2, size=400)
    reject = RejectOptionClassifier(frozen, coverage=0.7, novelty_quantile=0.8).fit(
        ids, y
    )
    weights = rng.uniform(0.5, 2.0, size=400)
    disp = RejectionCurveDisplay.from_estimator(reject, ids, y, sample_weight=weights)
    scores = reject.rejection_scores(ids, y)
    passed = ~scores.novel
    # The curve ends at the weight the guard lets through.
    assert disp.coverage[-1] == pytest.approx(weights[passed].sum() / weights.sum())
    curve = selective_curve(
        scores.loss, scores.uncertainty, scores.tiebreak, weights, passed
    )
    assert_array_equal(disp.coverage, curve.coverage)
    coverage, risk = disp.operating_point
    accepted = ~scores.rejected
    assert coverage == pytest.approx(weights[accepted].sum() / weights.sum())
    assert risk == pytest.approx(
        np.average(scores.loss[accepted], weights=weights[accepted])
    )
    assert np.isclose(disp.coverage, coverage).any()


def test_regression_reject_option_plots_its_loss(lookup_regressor):
    rng = np.random.RandomState(0)
    x = rng.uniform(-2, 2, size=1000)
    std = np.abs(x) + 0.1
    y = x + std * rng.normal(size=1000)
    frozen, ids = lookup_regressor(x, std)
    reject = RejectOptionRegressor(frozen, coverage=0.6, loss="interval_miss")
    reject.fit(ids, y)
    disp = RejectionCurveDisplay.from_estimator(reject, ids, y)
    assert disp.line_.get_label().startswith("predictive std (AURC = ")
    miss = np.abs(y - x) > 1.6448536269514722 * std
    order = np.argsort(std)
    assert_allclose(disp.selective_risk, np.cumsum(miss[order]) / np.arange(1, 1001))
    assert disp.operating_point[0] == pytest.approx(0.6)
    assert disp.operating_point[1] == pytest.approx(reject.cv_risk_)
