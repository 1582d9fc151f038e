"""Selective-classification metrics against brute force and scikit-learn."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score

from sk_mcdropout._compat import InvalidParameterError
from sk_mcdropout.metrics import (
    accuracy_rejection_curve,
    aurc,
    coverage_at_risk,
    expected_calibration_error,
    risk_coverage_curve,
    selective_risk_at_coverage,
)
from sk_mcdropout.metrics._selective import selective_curve


@pytest.fixture
def random_predictions():
    rng = np.random.default_rng(0)
    n = 200
    y_true = rng.integers(0, 3, n)
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, 3, n))
    # Rounded so that there are many ties.
    uncertainty = np.round(rng.random(n) + 0.3 * (y_true != y_pred), 1)
    return y_true, y_pred, uncertainty


def test_risk_coverage_curve_hand_example():
    y_true = np.array([0, 1, 1, 0, 1, 0])
    y_pred = np.array([0, 1, 0, 0, 0, 1])
    uncertainty = np.array([0.1, 0.2, 0.2, 0.5, 0.7, 0.7])
    coverage, risk, thresholds = risk_coverage_curve(y_true, y_pred, uncertainty)
    assert_allclose(coverage, [1 / 6, 3 / 6, 4 / 6, 1])
    assert_allclose(risk, [0, 1 / 3, 1 / 4, 3 / 6])
    assert_allclose(thresholds, [0.1, 0.2, 0.5, 0.7])


def test_curve_without_ties_is_brute_force(random_predictions):
    y_true, y_pred, _ = random_predictions
    uncertainty = np.random.default_rng(1).random(y_true.size)
    coverage, risk, _ = risk_coverage_curve(y_true, y_pred, uncertainty)
    errors = (y_true != y_pred)[np.argsort(uncertainty)]
    k = np.arange(1, y_true.size + 1)
    assert_allclose(coverage, k / y_true.size)
    assert_allclose(risk, np.cumsum(errors) / k)
    # Geifman et al.'s AURC: the mean selective risk over coverages k / n.
    assert_allclose(aurc(y_true, y_pred, uncertainty), np.mean(np.cumsum(errors) / k))


def test_ties_do_not_depend_on_row_order(random_predictions):
    y_true, y_pred, uncertainty = random_predictions
    reference = risk_coverage_curve(y_true, y_pred, uncertainty)
    assert np.unique(uncertainty).size == reference[0].size  # ties were grouped
    for seed in range(3):
        rows = np.random.default_rng(seed).permutation(y_true.size)
        shuffled = risk_coverage_curve(y_true[rows], y_pred[rows], uncertainty[rows])
        for a, b in zip(reference, shuffled, strict=True):
            assert_array_equal(a, b)
        assert aurc(y_true[rows], y_pred[rows], uncertainty[rows]) == aurc(
            y_true, y_pred, uncertainty
        )


def test_tied_group_shares_its_end_risk():
    # One tied group: AURC is simply the overall error rate.
    y_true = [0, 0, 1, 1]
    y_pred = [0, 1, 1, 0]
    assert aurc(y_true, y_pred, [0.3] * 4) == 0.5
    assert selective_risk_at_coverage(y_true, y_pred, [0.3] * 4, 0.25) == 0.5


def test_aurc_extremes():
    y = np.array([0, 1, 0, 1])
    assert aurc(y, y, [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert aurc(y, 1 - y, [0.4, 0.3, 0.2, 0.1]) == 1.0
    # One error ranked last vs first: closed forms (1/4)(1/4) and mean(1, 1/2,...)
    y_pred = np.array([0, 1, 0, 0])
    assert_allclose(aurc(y, y_pred, [0.1, 0.2, 0.3, 0.4]), 1 / 16)
    assert_allclose(
        aurc(y, y_pred, [0.4, 0.3, 0.2, 0.1]), (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4
    )


def test_integer_weights_equal_repeated_rows(random_predictions):
    y_true, y_pred, uncertainty = random_predictions
    weights = np.random.default_rng(3).integers(0, 4, y_true.size)
    repeated = [np.repeat(a, weights) for a in (y_true, y_pred, uncertainty)]
    weighted = risk_coverage_curve(y_true, y_pred, uncertainty, sample_weight=weights)
    for a, b in zip(weighted, risk_coverage_curve(*repeated), strict=True):
        assert_allclose(a, b)
    assert_allclose(
        aurc(y_true, y_pred, uncertainty, sample_weight=weights), aurc(*repeated)
    )
    assert_allclose(
        expected_calibration_error(
            [0, 1, 1], [[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]], sample_weight=[2, 0, 1]
        ),
        expected_calibration_error([0, 0, 1], [[0.7, 0.3], [0.7, 0.3], [0.6, 0.4]]),
    )


def test_selective_risk_at_coverage_matches_accuracy_score(random_predictions):
    y_true, y_pred, _ = random_predictions
    uncertainty = np.random.default_rng(4).random(y_true.size)  # no ties
    order = np.argsort(uncertainty)
    for coverage in (0.1, 0.5, 0.9, 1.0):
        accepted = order[: int(round(coverage * y_true.size))]
        expected = 1 - accuracy_score(y_true[accepted], y_pred[accepted])
        got = selective_risk_at_coverage(y_true, y_pred, uncertainty, coverage)
        assert_allclose(got, expected)


def test_selective_risk_at_coverage_reaches_past_ties():
    y_true = [0, 0, 0, 1, 1]
    y_pred = [0, 0, 1, 1, 0]
    # Asking for 40% lands inside the tied group {0.2, 0.2, 0.2}: all of it
    # is accepted (coverage 80%), with one error out of four.
    uncertainty = [0.1, 0.2, 0.2, 0.2, 0.9]
    assert selective_risk_at_coverage(y_true, y_pred, uncertainty, 0.4) == 0.25
    assert selective_risk_at_coverage(y_true, y_pred, uncertainty, 0.2) == 0.0


def test_coverage_at_risk_takes_largest_feasible_coverage():
    # Risk along the curve: 0, 1/2, 1/3, 1/4, 2/5: not monotone.
    y_true = [0, 0, 0, 0, 0]
    y_pred = [0, 1, 0, 0, 1]
    uncertainty = [0.1, 0.2, 0.3, 0.4, 0.5]
    assert coverage_at_risk(y_true, y_pred, uncertainty, 0.3) == 0.8
    assert coverage_at_risk(y_true, y_pred, uncertainty, 0.4) == 1.0
    assert coverage_at_risk(y_true, y_pred, uncertainty, 0.0) == 0.2
    assert coverage_at_risk(y_true, [1] * 5, uncertainty, 0.5) == 0.0


def test_accuracy_rejection_curve_is_reversed_risk_coverage(random_predictions):
    coverage, risk, thresholds = risk_coverage_curve(*random_predictions)
    rejection, accuracy, arc_thresholds = accuracy_rejection_curve(*random_predictions)
    assert rejection[0] == 0.0 and rejection[-1] < 1.0
    assert np.all(np.diff(rejection) > 0)
    assert_allclose(rejection, 1 - coverage[::-1])
    assert_allclose(accuracy, 1 - risk[::-1])
    assert_array_equal(arc_thresholds, thresholds[::-1])
    y_true, y_pred, _ = random_predictions
    assert_allclose(accuracy[0], accuracy_score(y_true, y_pred))


def test_ece_matches_calibration_curve_bins():
    rng = np.random.default_rng(5)
    n, n_bins = 1000, 10
    p1 = rng.random(n)
    # Overconfident on purpose: the true probability is halfway to 0.5.
    y_true = (rng.random(n) < 0.5 + (p1 - 0.5) / 2).astype(int)
    proba = np.column_stack([1 - p1, p1])
    # Top-label ECE by hand through scikit-learn's reliability curve.
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(int)
    frac_correct, mean_conf = calibration_curve(correct, confidence, n_bins=n_bins)
    edges = np.linspace(0, 1, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=n_bins)
    counts = counts[counts > 0]
    expected = np.sum(counts / n * np.abs(frac_correct - mean_conf))
    got = expected_calibration_error(y_true, proba, n_bins=n_bins)
    assert_allclose(got, expected)
    assert_allclose(expected_calibration_error(y_true, p1, n_bins=n_bins), got)
    assert got > 0.05


def test_ece_binning_is_right_closed_and_labels_map_columns():
    # 0.8 sits on an edge of 5 bins: it goes into (0.6, 0.8] with 0.7, and
    # that bin has mean confidence 0.75 and accuracy 3/4. Were the bins
    # left-closed, [0.6, 0.8) and [0.8, 1.0] would give an ECE of 0.2.
    proba = np.array([[0.8, 0.2], [0.8, 0.2], [0.3, 0.7], [0.3, 0.7]])
    y_true = np.array(["a", "a", "b", "a"])
    assert_allclose(expected_calibration_error(y_true, proba, n_bins=5), 0.0)
    assert_allclose(
        expected_calibration_error(y_true, proba, n_bins=5, labels=["b", "a"]),
        abs(0.75 - 0.25),
    )
    multiclass = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    assert_allclose(
        expected_calibration_error([0, 1], multiclass, labels=[0, 1, 2]),
        (abs(1 - 0.6) + abs(0 - 0.8)) / 2,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(uncertainty=[0.1, np.nan, 0.2]), "NaN"),
        (dict(uncertainty=[0.1, 0.2]), "inconsistent numbers"),
        (dict(uncertainty=["a", "b", "c"]), "numeric"),
        (dict(sample_weight=[1, -1, 1]), "non-negative"),
        (dict(sample_weight=[0, 0, 0]), "weights are zero"),
    ],
)
def test_curve_input_validation(kwargs, match):
    args = dict(y_true=[0, 1, 0], y_pred=[0, 1, 1], uncertainty=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=match):
        risk_coverage_curve(**{**args, **kwargs})


def test_empty_and_out_of_range_inputs():
    with pytest.raises(ValueError, match="empty"):
        aurc([], [], [])
    for coverage, shown in ((0, "0"), (1.5, "1.5"), ("0.9", "'0.9'")):
        message = (
            "The 'coverage' parameter of selective_risk_at_coverage must be a "
            f"float in the range (0.0, 1.0]. Got {shown} instead."
        )
        with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
            selective_risk_at_coverage([0], [0], [0.1], coverage)
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'max_risk' parameter of coverage_at_risk must be a float in "
        r"the range \[0.0, 1.0\]. Got -0.1 instead.$",
    ):
        coverage_at_risk([0], [0], [0.1], -0.1)
    for n_bins in (0, 2.0):
        with pytest.raises(
            InvalidParameterError,
            match=r"^The 'n_bins' parameter of expected_calibration_error must be "
            rf"an int in the range \[1, inf\). Got {n_bins} instead.$",
        ):
            expected_calibration_error([0, 1], [[0.5, 0.5]] * 2, n_bins=n_bins)
    with pytest.raises(
        InvalidParameterError,
        match="^The 'sample_weight' parameter of aurc must be an array-like or None",
    ):
        aurc([0], [0], [0.1], sample_weight="heavy")
    with pytest.raises(ValueError, match="2 columns but there are 1 labels"):
        expected_calibration_error([0, 0], [[0.5, 0.5]] * 2)


SELECTIVE_METRICS = [
    lambda *a: risk_coverage_curve(*a),
    lambda *a: aurc(*a),
    lambda *a: selective_risk_at_coverage(*a, 0.5),
    lambda *a: coverage_at_risk(*a, 0.1),
    lambda *a: accuracy_rejection_curve(*a),
]


@pytest.mark.parametrize("metric", SELECTIVE_METRICS)
@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        # "0" never equals 0, so every row counted as
        # an error and aurc returned 1.0.
        (["0", "1", "1"], [0, 1, 1], "Mix of label input types"),
        ([0, 1, 1], ["0", "1", "1"], "Mix of label input types"),
        ([0.0, np.nan, 1.0], [0, 1, 1], "y_true contains NaN"),
        ([0, 1, 1], [0.0, 1.0, np.nan], "y_pred contains NaN"),
        ([0.5, 1.5, 2.5], [0, 1, 1], "continuous"),
    ],
)
def test_labels_of_another_kind_or_nan_are_refused(metric, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        metric(y_true, y_pred, [0.1, 0.2, 0.3])


def test_ece_refuses_non_probabilities_and_unknown_labels():
    # Rows that do not sum to one gave 0.65, and
    # integer y_true with string labels 0.85.
    with pytest.raises(ValueError, match="do not sum to one"):
        expected_calibration_error([0, 1], [[0.3, 0.2], [0.1, 0.4]])
    with pytest.raises(ValueError, match="Mix of label input types"):
        expected_calibration_error([0, 1], [[0.3, 0.7], [0.6, 0.4]], labels=["a", "b"])
    with pytest.raises(ValueError, match=r"values \[2\] that are not in labels"):
        expected_calibration_error(
            [0, 1, 2], [[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]], labels=[0, 1]
        )
    with pytest.raises(ValueError, match="y_true contains NaN"):
        expected_calibration_error([0.0, np.nan], [[0.3, 0.7], [0.6, 0.4]])
    # Probabilities computed in float32 still pass, with their value: both
    # rows right, confidences 0.7 and 0.6 in separate bins.
    proba = np.array([[0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    assert expected_calibration_error([1, 0], proba) == pytest.approx(
        (0.3 + 0.4) / 2, rel=1e-6
    )


def test_curve_breaks_ties_with_the_secondary_score():
    losses = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    primary = np.array([0.2, 0.2, 0.2, 0.5, 0.1])
    secondary = np.array([3.0, 1.0, 1.0, 0.0, 9.0])
    curve = selective_curve(losses, primary, secondary)
    # Order: (0.1, 9), then (0.2, 1) twice (one group), (0.2, 3), (0.5, 0).
    assert_allclose(curve.coverage, [0.2, 0.6, 0.8, 1.0])
    assert_allclose(curve.risk, [0.0, 0.0, 1 / 4, 2 / 5])
    assert_array_equal(curve.count, [1, 3, 4, 5])
    assert_array_equal(curve.loss_count, [0, 0, 1, 2])
    assert_array_equal(curve.threshold, [0.1, 0.2, 0.2, 0.5])
    assert_array_equal(curve.tiebreak, [9.0, 1.0, 3.0, 0.0])
    # Without the secondary score the three rows at 0.2 are one group.
    plain = selective_curve(losses, primary)
    assert_allclose(plain.coverage, [0.2, 0.8, 1.0])
    assert_array_equal(plain.tiebreak, [0.0, 0.0, 0.0])
    # Rows in any order give the same curve, bit for bit.
    rows = [3, 0, 4, 2, 1]
    shuffled = selective_curve(losses[rows], primary[rows], secondary[rows])
    for a, b in zip(curve, shuffled, strict=True):
        assert_array_equal(a, b)


def test_curve_weights_counts_and_the_guard():
    losses = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    primary = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    weights = np.array([2.0, 0.0, 1.0, 1.0, 0.0])
    curve = selective_curve(losses, primary, weights=weights)
    # Zero-weight rows are no point; counts and loss counts stay unweighted.
    assert_allclose(curve.coverage, [0.5, 0.75, 1.0])
    assert_allclose(curve.risk, [0.0, 0.0, 1 / 4])
    assert_array_equal(curve.count, [1, 3, 4])
    assert_array_equal(curve.loss_count, [0, 1, 2])
    assert_array_equal(curve.threshold, [0.1, 0.3, 0.4])
    # A guard: the curve over the rows it passes, coverage of all the weight.
    passed = np.array([True, True, False, True, True])
    guarded = selective_curve(losses, primary, weights=weights, passed=passed)
    assert_allclose(guarded.coverage, [0.5, 0.75])
    assert_allclose(guarded.risk, [0.0, 1 / 3])
    assert_array_equal(guarded.threshold, [0.1, 0.4])
    empty = selective_curve(losses, primary, weights=weights, passed=primary > 0.45)
    assert empty.coverage.size == 0


def test_ece_default_bins_and_edges():
    # Four classes and three bins: confidences 0.3, 0.5 and 0.9 fall in the
    # first, second and third bin, each with its own gap.
    proba = np.array(
        [[0.3, 0.3, 0.2, 0.2], [0.5, 0.3, 0.1, 0.1], [0.9, 0.05, 0.03, 0.02]]
    )
    y_true = [0, 1, 0]  # right, wrong, right
    expected = (abs(1 - 0.3) + abs(0 - 0.5) + abs(1 - 0.9)) / 3
    assert expected_calibration_error(
        y_true, proba, n_bins=3, labels=[0, 1, 2, 3]
    ) == pytest.approx(expected)
    # The default is 15 bins: 0.34 and 0.38 share a bin of 15 (gap 0.36 for
    # their mean accuracy 1/2 and mean confidence 0.36), not of 16.
    proba = np.array([[0.66, 0.34], [0.62, 0.38]])
    y_true = [0, 1]  # right at 0.66, wrong at 0.62
    fifteen = expected_calibration_error(y_true, proba, n_bins=15)
    assert expected_calibration_error(y_true, proba) == fifteen
    assert fifteen == pytest.approx(abs(0.5 - 0.64))
    assert expected_calibration_error(y_true, proba, n_bins=16) == pytest.approx(
        (abs(1 - 0.66) + abs(0 - 0.62)) / 2
    )


def test_ece_weights_are_relative():
    proba = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.9, 0.1]])
    y_true = [0, 1, 1, 0]
    weights = np.array([2.0, 0.5, 1.0, 3.0])
    weighted = expected_calibration_error(y_true, proba, sample_weight=weights)
    assert weighted == pytest.approx(
        expected_calibration_error(y_true, proba, sample_weight=10 * weights)
    )
    by_hand = (2 * 0.3 + 0.5 * 0.2 + 1 * 0.6 + 3 * 0.1) / weights.sum()
    assert weighted == pytest.approx(by_hand)


@pytest.mark.parametrize(
    "y_true, y_proba, match",
    [
        (
            [0, 1],
            np.full((2, 2, 2), 0.5),
            r"^Expected a 1-D or 2-D array of shape \(n_rows,\) or \(n_rows, "
            r"n_classes\) for y_proba, got shape \(2, 2, 2\).$",
        ),
        (
            [0, 1, 1],
            [[0.5, 0.5]] * 2,
            r"^Found input variables with inconsistent numbers of samples: "
            r"\[3, 2\]$",
        ),
        ([], np.zeros((0, 2)), "^Found empty input: y_true has 0 rows.$"),
        (
            [0, 1],
            [[0.5, 0.6], [0.5, 0.5]],
            r"^The probabilities in y_proba do not sum to one",
        ),
    ],
)
def test_ece_refuses_bad_arrays(y_true, y_proba, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(y_true, y_proba)


def test_ece_of_one_row_and_of_a_1d_probability():
    assert expected_calibration_error([1], [[0.2, 0.8]], labels=[0, 1]) == (
        pytest.approx(0.2)
    )
    # 1-D: the probability of the greater label, here "b": both rows predict
    # "b" at 0.8, one of them rightly.
    assert expected_calibration_error(["a", "b"], [0.8, 0.8]) == pytest.approx(
        abs(0.5 - 0.8)
    )


@pytest.mark.parametrize(
    "metric",
    [
        lambda *a, **k: coverage_at_risk(*a, 0.2, **k),
        lambda *a, **k: accuracy_rejection_curve(*a, **k),
        lambda *a, **k: selective_risk_at_coverage(*a, 0.5, **k),
        lambda *a, **k: aurc(*a, **k),
    ],
)
def test_every_selective_metric_weights_its_rows(random_predictions, metric):
    y_true, y_pred, uncertainty = random_predictions
    weights = np.random.default_rng(6).integers(0, 4, y_true.size)
    repeated = [np.repeat(a, weights) for a in (y_true, y_pred, uncertainty)]

    def values(*args, **kwargs):
        return np.concatenate(
            [np.ravel(v) for v in np.atleast_1d(metric(*args, **kwargs))]
        )

    weighted = values(y_true, y_pred, uncertainty, sample_weight=weights)
    assert_allclose(weighted, values(*repeated))
    unweighted = values(y_true, y_pred, uncertainty)
    assert weighted.shape != unweighted.shape or not np.allclose(weighted, unweighted)


@pytest.mark.parametrize(
    "y_true, y_pred, uncertainty, match",
    [
        ([0, 1, 1], [0, 1], [0.1, 0.2, 0.3], r"\[3, 2\]"),
        ([0, 1], [0, 1, 1], [0.1, 0.2, 0.3], r"\[2, 3\]"),
        ([0, 1, 1], [0, 1, 1], [0.1, 0.2], r"\[3, 3, 2\]"),
    ],
)
def test_every_length_is_checked(y_true, y_pred, uncertainty, match):
    with pytest.raises(
        ValueError,
        match=f"^Found input variables with inconsistent numbers of samples: {match}$",
    ):
        risk_coverage_curve(y_true, y_pred, uncertainty)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(y_true=[], y_pred=[], uncertainty=[]),
            "Found empty input: y_true has 0 rows.",
        ),
        (
            dict(uncertainty=["a", "b", "c"]),
            "uncertainty must be numeric, got dtype <U1.",
        ),
        (
            dict(uncertainty=[0.1, np.inf, 0.2]),
            "Input uncertainty contains infinity or a value too large for "
            "dtype('float64').",
        ),
        (dict(sample_weight=[1, -1, 1]), "sample_weight must be non-negative."),
        (
            dict(sample_weight=[0, 0, 0]),
            "All sample weights are zero; sample_weight must have a positive sum.",
        ),
        (
            dict(sample_weight=[1.0, np.inf, 1.0]),
            "Input sample_weight contains infinity or a value too large for "
            "dtype('float64').",
        ),
        (
            dict(y_pred=[0, "b", "c"]),
            "y_true and y_pred must hold class labels of one kind, without NaN: ",
        ),
    ],
)
def test_selective_inputs_are_refused_in_full(kwargs, match):
    args = dict(y_true=[0, 1, 0], y_pred=[0, 1, 1], uncertainty=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=f"^{re.escape(match)}"):
        risk_coverage_curve(**{**args, **kwargs})


def test_labels_that_cannot_be_ordered_are_refused():
    # An object array of strings and numbers used to raise numpy's TypeError.
    mixed = np.array(["a", 1.5, "b"], dtype=object)
    with pytest.raises(
        ValueError,
        match=r"^y_true must hold class labels of one kind, without NaN: labels "
        r"that cannot be ordered \('<' not supported",
    ):
        expected_calibration_error(mixed[:2], [0.4, 0.7])
    with pytest.raises(ValueError, match="^y_true and y_pred must hold class labels"):
        aurc(mixed, mixed, [0.1, 0.2, 0.3])


def test_weights_that_sum_to_less_than_one_are_weights():
    y_true, y_pred, uncertainty = [0, 1, 1, 0], [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]
    weights = np.array([0.1, 0.2, 0.3, 0.15])
    for metric in (aurc, risk_coverage_curve):
        assert_allclose(
            np.ravel(metric(y_true, y_pred, uncertainty, sample_weight=weights)),
            np.ravel(metric(y_true, y_pred, uncertainty, sample_weight=20 * weights)),
        )


def test_last_coverage_is_exactly_one():
    rng = np.random.default_rng(7)
    weights = rng.uniform(0, 1, size=1000)
    assert np.cumsum(weights)[-1] != weights.sum()  # the premise
    y = rng.integers(0, 2, size=1000)
    coverage, _, _ = risk_coverage_curve(
        y, 1 - y, rng.uniform(size=1000), sample_weight=weights
    )
    assert coverage[-1] == 1.0
