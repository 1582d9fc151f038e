"""Bounds and multiple-testing corrections behind the reject options."""

import math
import warnings

import numpy as np
import pytest
from scipy.stats import binom

from sk_mcdropout.metrics._selective import selective_curve
from sk_mcdropout.reject._threshold import (
    certified_rule,
    certify_fixed_sequence,
    certify_sgr,
    clopper_pearson_upper,
    coverage_rule,
    hoeffding_bentkus_upper,
    risk_rule,
    select_threshold,
)


def test_clopper_pearson_closed_forms():
    # No error in n rows: (1 - bound) ** n = delta.
    assert clopper_pearson_upper(0, 100, 0.05) == pytest.approx(1 - 0.05 ** (1 / 100))
    # The bound is where the binomial tail of k errors has probability delta.
    bound = clopper_pearson_upper(7, 200, 0.1)
    assert binom.cdf(7, 200, bound) == pytest.approx(0.1)
    assert clopper_pearson_upper(5, 5, 0.1) == 1.0


def test_hoeffding_bentkus_is_valid_and_wider_than_exact():
    for k, n in [(0, 100), (10, 500), (40, 400)]:
        hb = hoeffding_bentkus_upper(k, n, 0.1)
        assert clopper_pearson_upper(k, n, 0.1) <= hb <= 1
        assert hb > k / n


def test_sgr_spends_delta_over_its_tests():
    rng = np.random.RandomState(0)
    count = np.arange(1.0, 1001.0)
    loss_count = np.cumsum(rng.uniform(size=1000) < np.linspace(0, 0.1, 1000))
    idx, bound = certify_sgr(count, loss_count, 0.05, 0.1, True)
    level = 0.1 / math.ceil(math.log2(1001))
    assert bound == pytest.approx(
        clopper_pearson_upper(loss_count[idx], idx + 1, level)
    )
    assert bound <= 0.05
    # Fixed-sequence testing spends all of delta on each test: larger coverage.
    idx_fs, bound_fs = certify_fixed_sequence(count, loss_count, 0.05, 0.1, True)
    assert idx_fs > idx
    assert bound_fs <= 0.05


def test_select_threshold_breaks_ties_with_the_secondary_score():
    primary = np.zeros(10)
    secondary = np.arange(10.0)[::-1]
    result = select_threshold(
        np.zeros(10), primary, secondary, np.ones(10), coverage=0.3
    )
    assert result["coverage"] == pytest.approx(0.3)
    assert (result["threshold"], result["tiebreak"]) == (0.0, 2.0)


def curve_of(losses, primary, secondary=None, weights=None):
    return selective_curve(
        np.asarray(losses, dtype=float),
        np.asarray(primary, dtype=float),
        None if secondary is None else np.asarray(secondary, dtype=float),
        None if weights is None else np.asarray(weights, dtype=float),
    )


def test_coverage_rule_takes_the_first_point_that_reaches_the_target():
    curve = curve_of([0, 0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.5])
    assert coverage_rule(curve, 0.6, 0.2, stacklevel=1) == 2
    # 0.6 of 10 rows is 6 / 10, however 0.6 rounds in float arithmetic.
    ten = curve_of(np.zeros(10), np.arange(10))
    assert coverage_rule(ten, 0.6, 0.1, stacklevel=1) == 5
    assert coverage_rule(ten, 0.61, 0.1, stacklevel=1) == 6
    assert coverage_rule(ten, 1.0, 0.1, stacklevel=1) == 9


def test_coverage_rule_warns_only_beyond_slack_and_one_row():
    # 4 rows tied at the start: coverage 0.4 is the first point.
    curve = curve_of(np.zeros(10), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6])
    with pytest.warns(UserWarning, match="coverage=0.2 cannot be met.*4 rows have"):
        assert coverage_rule(curve, 0.2, 0.1, stacklevel=1) == 0
    # One row more than the target (0.3 + slack + one row = 0.41): no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coverage_rule(curve, 0.3, 0.1, stacklevel=1) == 0
        assert coverage_rule(curve, 0.4, 0.1, stacklevel=1) == 0


def test_risk_rule_takes_the_largest_feasible_coverage():
    # Risks along the curve: 0, 1/2, 1/3, 1/4, 2/5.
    curve = curve_of([0, 1, 0, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.5])
    assert risk_rule(curve, 0.3, stacklevel=1) == 3
    assert risk_rule(curve, 0.25, stacklevel=1) == 3
    assert risk_rule(curve, 0.4, stacklevel=1) == 4
    assert risk_rule(curve, 0.0, stacklevel=1) == 0
    with pytest.warns(UserWarning, match="most certain rows already have 1"):
        assert risk_rule(curve_of([1, 0], [0.1, 0.2]), 0.4, stacklevel=1) is None


def test_certified_rule_corrects_as_asked():
    rng = np.random.RandomState(0)
    losses = (rng.uniform(size=1000) < np.linspace(0, 0.1, 1000)).astype(float)
    curve = curve_of(losses, np.arange(1000.0))
    fixed = certified_rule(
        curve, 0.05, 0.9, binary=True, method="fixed_sequence", stacklevel=1
    )
    sgr = certified_rule(curve, 0.05, 0.9, binary=True, method="sgr", stacklevel=1)
    delta = 1 - 0.9
    assert fixed == certify_fixed_sequence(
        curve.count, curve.loss_count, 0.05, delta, True
    )
    assert sgr == certify_sgr(curve.count, curve.loss_count, 0.05, delta, True)
    assert fixed[0] > sgr[0]
    with pytest.warns(
        UserWarning, match=r"at least 45 accepted rows\); fixed-sequence"
    ):
        idx, bound = certified_rule(
            curve_of(np.zeros(30), np.arange(30.0)),
            0.05,
            0.9,
            binary=True,
            method="fixed_sequence",
            stacklevel=1,
        )
    assert idx is None and np.isnan(bound)


def test_select_threshold_on_the_rows_the_guard_passes():
    # Rows 0-3 pass the guard; coverage is a fraction of all six rows.
    primary = np.array([0.1, 0.2, 0.3, 0.4, 0.05, 0.06])
    passed = np.array([True, True, True, True, False, False])
    result = select_threshold(
        np.zeros(6), primary, np.zeros(6), np.ones(6), coverage=0.5, passed=passed
    )
    assert (result["threshold"], result["coverage"]) == (0.3, 0.5)
    # A target above what the guard leaves: every passed row, threshold inf.
    result = select_threshold(
        np.zeros(6), primary, np.zeros(6), np.ones(6), coverage=0.9, passed=passed
    )
    assert result["threshold"] == np.inf
    assert result["coverage"] == pytest.approx(4 / 6)
    # No passed row has a weight: nothing can be accepted.
    result = select_threshold(
        np.zeros(6),
        primary,
        np.zeros(6),
        np.r_[np.zeros(4), np.ones(2)],
        coverage=0.5,
        passed=passed,
    )
    assert result == dict(
        threshold=-np.inf,
        tiebreak=-np.inf,
        coverage=0.0,
        risk=pytest.approx(np.nan, nan_ok=True),
        bound=pytest.approx(np.nan, nan_ok=True),
    )
