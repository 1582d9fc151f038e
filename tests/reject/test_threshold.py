"""Bounds and multiple-testing corrections behind the reject options."""

import math
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.stats import beta, binom

from sk_mcdropout.metrics._selective import selective_curve
from sk_mcdropout.reject._threshold import (
    _hb_pvalue,
    certified_rule,
    certify_fixed_sequence,
    certify_sgr,
    clopper_pearson_upper,
    coverage_rule,
    hoeffding_bentkus_upper,
    risk_rule,
    rows_needed,
    select_threshold,
    sequence_start,
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


def hb_pvalue_by_hand(mean_loss, n, risk):
    """Bates et al.'s Hoeffding-Bentkus p-value, written out."""
    a = min(mean_loss, risk)
    kl = (a * np.log(a / risk) if a > 0 else 0.0) + (1 - a) * np.log(
        (1 - a) / (1 - risk)
    )
    bentkus = np.e * binom.cdf(np.ceil(n * mean_loss - 1e-9), n, risk)
    return min(np.exp(-n * kl), bentkus)


@pytest.mark.parametrize(
    "mean_loss, n, risk",
    [(0.05, 200, 0.1), (10 / 200, 200, 0.08), (0.0, 50, 0.1), (0.3, 40, 0.2)],
)
def test_hoeffding_bentkus_p_value_and_bound(mean_loss, n, risk):
    p = hb_pvalue_by_hand(mean_loss, n, risk)
    assert _hb_pvalue(mean_loss, n, risk) == pytest.approx(p, rel=1e-12)
    # The bound is the smallest risk whose p-value is at most delta.
    bound = hoeffding_bentkus_upper(mean_loss * n, n, 0.1)
    assert hb_pvalue_by_hand(mean_loss, n, bound) <= 0.1
    assert hb_pvalue_by_hand(mean_loss, n, bound - 1e-9) > 0.1


def test_hoeffding_bentkus_with_too_few_rows_is_one():
    # One row with a loss of 0.9: even a risk of almost 1 is not rejected.
    assert hb_pvalue_by_hand(0.9, 1, 1 - 1e-12) > 0.05
    assert hoeffding_bentkus_upper(0.9, 1, 0.05) == 1.0
    assert hoeffding_bentkus_upper(5.0, 5, 0.05) == 1.0


def test_clopper_pearson_is_quiet_and_one_without_failures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(
            clopper_pearson_upper(np.array([3, 5]), np.array([5, 5]), 0.1),
            [beta.ppf(0.9, 4, 2), 1.0],
        )


def test_sequence_start():
    # (1 - 0.05) ** 59 <= 0.05 < (1 - 0.05) ** 58; and a tenth of the rows.
    assert sequence_start(0.05, 0.05, 100) == 59
    assert sequence_start(0.05, 0.05, 3000) == 300
    assert sequence_start(0.05, 0.05, 3001) == 301
    # (1 - 0.5) ** 2 = 0.25 exactly: two rows suffice, not three.
    assert sequence_start(0.5, 0.25, 1) == 2
    assert sequence_start(0.9, 0.1, 5) == 1
    assert sequence_start(1.0, 0.1, 1000) == 1


def test_fixed_sequence_starts_at_a_tenth_of_the_rows():
    # max_risk 0.96 needs one row; 20 rows start at 2. The first row is
    # right, the others wrong: 2 rows (1 error) pass, 3 rows (2 errors) fail.
    losses = np.r_[0.0, np.ones(19)]
    count, loss_count = np.arange(1.0, 21.0), np.cumsum(losses)
    assert clopper_pearson_upper(1, 2, 0.1) <= 0.96 < clopper_pearson_upper(2, 3, 0.1)
    idx, bound = certify_fixed_sequence(count, loss_count, 0.96, 0.1, True)
    assert idx == 1
    assert bound == clopper_pearson_upper(1, 2, 0.1)
    # 11 rows start at 2 too, skipping a first row that would fail.
    losses = np.r_[1.0, np.zeros(10)]
    idx, _ = certify_fixed_sequence(
        np.arange(1.0, 12.0), np.cumsum(losses), 0.96, 0.1, True
    )
    assert idx == 10
    assert certify_fixed_sequence(count, loss_count, 0.0, 0.1, True) == (
        None,
        pytest.approx(np.nan, nan_ok=True),
    )


def test_a_bound_equal_to_max_risk_is_certified():
    # 50 right rows, then wrong ones: the bounds fall, then rise. With
    # max_risk equal to the bound at 60 rows, 60 rows are certified, not 59.
    count = np.arange(1.0, 101.0)
    loss_count = np.maximum(count - 50, 0)
    delta = 0.1
    at_60 = clopper_pearson_upper(10, 60, delta)
    assert certify_fixed_sequence(count, loss_count, at_60, delta, True) == (59, at_60)
    level = delta / math.ceil(math.log2(101))
    sgr_at_60 = clopper_pearson_upper(10, 60, level)
    assert certify_sgr(count, loss_count, sgr_at_60, delta, True) == (59, sgr_at_60)
    # The same for the Hoeffding-Bentkus p-value: delta equal to it at 60.
    mean_loss = loss_count / count
    p_at_60 = _hb_pvalue(mean_loss[59], 60.0, 0.3)
    idx, bound = certify_fixed_sequence(count, loss_count, 0.3, p_at_60, False)
    assert idx == 59
    assert bound == min(hoeffding_bentkus_upper(10.0, 60.0, p_at_60), 0.3)


def test_non_binary_losses_of_one_are_within_a_max_risk_of_one():
    count = np.arange(1.0, 51.0)
    idx, bound = certify_fixed_sequence(count, count.copy(), 1.0, 0.1, False)
    assert (idx, bound) == (49, 1.0)


def test_sgr_with_one_two_and_three_candidates():
    # ceil(log2(m + 1)) tests: 1, 2 and 2; each at delta over that.
    for m, n_tests in [(1, 1), (2, 2), (3, 2)]:
        count = np.arange(1.0, m + 1.0) * 100
        loss_count = np.zeros(m)
        idx, bound = certify_sgr(count, loss_count, 0.5, 0.1, True)
        assert idx == m - 1
        assert bound == clopper_pearson_upper(0, count[-1], 0.1 / n_tests)


def test_sgr_when_only_the_first_or_no_candidate_is_certified():
    # 100 error-free rows, then errors only: only the first candidate passes.
    count = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    loss_count = np.array([0.0, 100.0, 200.0, 300.0, 400.0])
    level = 0.1 / math.ceil(math.log2(6))
    assert certify_sgr(count, loss_count, 0.1, 0.1, True) == (
        0,
        clopper_pearson_upper(0, 100, level),
    )
    none = certify_sgr(count, count, 0.1, 0.1, True)
    assert none[0] is None and np.isnan(none[1])


def test_fixed_sequence_bound_with_costs_is_hoeffding_bentkus():
    rng = np.random.RandomState(3)
    losses = np.sort(rng.uniform(0, 0.2, size=500))
    count, loss_count = np.arange(1.0, 501.0), np.cumsum(losses)
    idx, bound = certify_fixed_sequence(count, loss_count, 0.15, 0.1, False)
    assert bound == min(hoeffding_bentkus_upper(loss_count[idx], count[idx], 0.1), 0.15)
    assert bound != clopper_pearson_upper(loss_count[idx], count[idx], 0.1)


def test_warnings_say_what_happened_in_full():
    # Tied rows beyond the start: 2 distinct rows, then 6 tied, then 2.
    curve = curve_of(np.zeros(10), [0, 1, 2, 2, 2, 2, 2, 2, 3, 4])
    message = (
        "coverage=0.3 cannot be met on the held-out rows: 6 rows have exactly "
        "the same uncertainty (in the measure and in the score that breaks its "
        "ties), so they are accepted or rejected together; 0.8000 of the rows "
        "are accepted."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        coverage_rule(curve, 0.3, 0.1, stacklevel=1)
    message = (
        "No coverage reaches a selective risk of at most max_risk=0.4 on the "
        "held-out rows (the most certain rows already have 1); every row will "
        "be rejected."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        risk_rule(curve_of([1, 0], [0.1, 0.2]), 0.4, stacklevel=1)
    thirty = curve_of(np.zeros(30), np.arange(30.0))
    start = "No threshold can be certified to have a selective risk of at most "
    end = (
        "every row will be rejected. Use more calibration rows, a larger "
        "max_risk or a lower confidence."
    )
    expected = {
        ("fixed_sequence", 0.05): f"{start}max_risk=0.05 with confidence=0.9 on "
        "30 held-out rows (even with no error it takes at least 45 accepted "
        "rows); fixed-sequence testing stops at its first failure, so if the "
        "risk hardly grows with the coverage, correction='sgr' may certify "
        f"more; {end}",
        ("sgr", 0.05): f"{start}max_risk=0.05 with confidence=0.9 on 30 held-out "
        f"rows (even with no error it takes at least 45 accepted rows); {end}",
        ("fixed_sequence", 0.0): f"{start}max_risk=0.0 with confidence=0.9 on "
        f"30 held-out rows; {end}",
        ("sgr", 0.0): f"{start}max_risk=0.0 with confidence=0.9 on 30 held-out "
        f"rows; {end}",
    }
    for (method, max_risk), message in expected.items():
        with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
            certified_rule(
                thirty, max_risk, 0.9, binary=True, method=method, stacklevel=1
            )
    assert rows_needed(0.05, 0.1) == 45


def test_no_warning_at_exactly_slack_plus_one_row():
    # 100 rows, the first 32 tied: 0.32 is exactly 0.3 + 0.01 + one row.
    curve = curve_of(np.zeros(100), np.r_[np.zeros(32), np.arange(1.0, 69.0)])
    assert curve.coverage[0] == 0.3 + 0.01 + 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coverage_rule(curve, 0.3, 0.01, stacklevel=1) == 0
    with pytest.warns(UserWarning, match="32 rows have"):
        coverage_rule(curve, 0.3, 0.0099, stacklevel=1)


def test_select_threshold_defaults_and_full_coverage():
    rng = np.random.RandomState(0)
    losses = (rng.uniform(size=500) < np.linspace(0, 0.2, 500)).astype(float)
    primary = np.arange(500.0)
    result = select_threshold(
        losses, primary, np.zeros(500), np.ones(500), max_risk=0.1, confidence=0.9
    )
    curve = curve_of(losses, primary)
    # Binary losses and fixed-sequence testing unless told otherwise.
    idx, bound = certify_fixed_sequence(
        curve.count, curve.loss_count, 0.1, 1 - 0.9, True
    )
    assert (result["threshold"], result["bound"]) == (primary[idx], bound)
    everything = select_threshold(
        losses, primary, primary[::-1].copy(), np.ones(500), coverage=1.0
    )
    assert everything["threshold"] == everything["tiebreak"] == np.inf
    assert everything["coverage"] == 1.0
