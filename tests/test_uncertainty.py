"""Uncertainty measures on hand-built passes whose answers are known exactly."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_mcdropout.uncertainty import (
    _entropy,
    max_probability_uncertainty,
    mutual_information,
    predicted_class_std,
    predictive_entropy,
    variation_ratio,
)

MC_MEASURES = [
    predictive_entropy,
    mutual_information,
    variation_ratio,
    predicted_class_std,
]
ALL_MEASURES = [*MC_MEASURES, max_probability_uncertainty]


def binary_entropy(p):
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def random_passes(n_samples=7, n_rows=11, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n_classes), size=(n_samples, n_rows))


# Row 0: every pass certain of class 0.        Row 1: every pass undecided.
# Row 2: passes certain of opposite classes.   Row 3: passes 0.9/0.1 and 0.1/0.9.
PASSES = np.array(
    [
        [[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.9, 0.1]],
        [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.1, 0.9]],
    ]
)


def test_predictive_entropy_closed_form():
    expected = [0.0, np.log(2), np.log(2), np.log(2)]
    assert_allclose(predictive_entropy(PASSES), expected, atol=1e-12)


def test_predictive_entropy_is_entropy_of_the_mean_in_nats():
    passes = np.array([[[0.2, 0.3, 0.5]], [[0.4, 0.3, 0.3]]])  # mean .3 .3 .4
    expected = -(2 * 0.3 * np.log(0.3) + 0.4 * np.log(0.4))
    assert_allclose(predictive_entropy(passes), [expected])
    uniform = np.full((3, 1, 4), 0.25)
    assert_allclose(predictive_entropy(uniform), [np.log(4)])


def test_mutual_information_closed_form():
    # Agreeing passes carry no model uncertainty however unsure they are;
    # confident disagreeing passes carry all of it.
    expected = [0.0, 0.0, np.log(2), np.log(2) - binary_entropy(0.9)]
    assert_allclose(mutual_information(PASSES), expected, atol=1e-12)


def test_mutual_information_between_zero_and_predictive_entropy():
    passes = random_passes()
    mi = mutual_information(passes)
    assert np.all(mi >= 0)
    assert np.all(mi <= predictive_entropy(passes) + 1e-12)
    mean_pass_entropy = -(passes * np.log(passes)).sum(axis=2).mean(axis=0)
    assert_allclose(mi, predictive_entropy(passes) - mean_pass_entropy)


def test_variation_ratio_counts_votes():
    votes = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])  # modal class has 5 of 10
    passes = np.full((10, 1, 3), 0.1)
    passes[np.arange(10), 0, votes] = 0.8
    assert_allclose(variation_ratio(passes), [0.5])
    assert_allclose(variation_ratio(PASSES), [0.0, 0.0, 0.5, 0.5])


def test_variation_ratio_tie_within_a_pass_votes_for_first_class():
    passes = np.array([[[0.5, 0.5]], [[0.5, 0.5]], [[0.4, 0.6]]])
    assert_allclose(variation_ratio(passes), [1 / 3])


def test_predicted_class_std_is_population_std_of_predicted_class():
    # Mean is [0.45, 0.55]: class 1 is predicted although pass 0 votes 0.
    passes = np.array([[[0.7, 0.3]], [[0.2, 0.8]], [[0.45, 0.55]]])
    assert_allclose(predicted_class_std(passes), [np.std([0.3, 0.8, 0.55])])
    assert_allclose(predicted_class_std(PASSES), [0.0, 0.0, 0.5, 0.4])


def test_max_probability_accepts_passes_or_probabilities():
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    assert_allclose(max_probability_uncertainty(proba), [0.1, 0.5, 0.2])
    passes = random_passes()
    assert_allclose(
        max_probability_uncertainty(passes),
        max_probability_uncertainty(passes.mean(axis=0)),
    )
    assert_allclose(max_probability_uncertainty(PASSES), [0.0, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("measure", ALL_MEASURES)
def test_shape_and_invariances(measure):
    passes = random_passes(n_samples=6, n_rows=9, n_classes=4, seed=1)
    values = measure(passes)
    assert values.shape == (9,)
    assert values.dtype == np.float64
    rows = np.random.default_rng(2).permutation(9)
    assert_allclose(measure(passes[:, rows]), values[rows])
    assert_allclose(measure(passes[::-1]), values)  # order of passes
    classes = [2, 0, 3, 1]
    assert_allclose(measure(passes[:, :, classes]), values)
    assert_allclose(measure(passes.astype(np.float32)), values, atol=1e-6)


@pytest.mark.parametrize("measure", ALL_MEASURES)
def test_certain_rows_get_zero(measure):
    one_hot = np.zeros((5, 3, 3))
    one_hot[:, np.arange(3), [0, 2, 1]] = 1.0
    assert_array_equal(measure(one_hot), np.zeros(3))


@pytest.mark.parametrize("measure", MC_MEASURES)
def test_mc_measures_require_passes(measure):
    with pytest.raises(ValueError, match=r"3-D array .*\(n_samples, n_rows"):
        measure(np.array([[0.5, 0.5]]))


@pytest.mark.parametrize("measure", ALL_MEASURES)
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.full((2, 3, 4, 2), 0.5), "dimension"),
        (np.zeros((2, 0, 2)), "empty"),
        (np.ones((2, 3, 1)), "at least 2 classes"),
        (np.full((2, 3, 2), np.nan), "NaN"),
        (np.full((2, 3, 2), 0.7), "sum to one"),
        (np.stack([np.full((3, 2), [1.5, -0.5])] * 2), r"\[0, 1\]"),
        (np.full((2, 3, 2), "a"), "numeric"),
    ],
)
def test_invalid_input(measure, bad, match):
    with pytest.raises(ValueError, match=match):
        measure(bad)


def test_float32_rounding_is_tolerated():
    passes = random_passes().astype(np.float32)
    passes[..., 0] += 1e-6  # float32 softmax output, off by a few ulps
    assert np.isfinite(mutual_information(passes)).all()


@pytest.mark.parametrize("measure", ALL_MEASURES)
def test_a_rows_value_depends_on_its_passes_only(measure):
    # Bit for bit, whatever the memory layout of the passes: rows picked by
    # fancy indexing, reversed, or a float32 array.
    passes = random_passes(n_samples=9, n_rows=40, n_classes=3, seed=4)
    values = measure(passes)
    rows = np.random.default_rng(5).permutation(40)
    assert_array_equal(measure(passes[:, rows]), values[rows])
    assert_array_equal(measure(passes[:, ::-1]), values[::-1])
    assert_array_equal(measure(np.asfortranarray(passes)), values)


@pytest.mark.parametrize("measure", ALL_MEASURES)
def test_errors_name_the_argument(measure):
    name = "y_proba" if measure is max_probability_uncertainty else "y_proba_samples"
    with pytest.raises(ValueError, match=rf"^The probabilities in {name} do not sum"):
        measure(np.full((2, 3, 2), 0.7))
    with pytest.raises(ValueError, match=rf"^Input {name} contains NaN"):
        measure(np.full((2, 3, 2), np.nan))


TOL = np.sqrt(np.finfo(np.float32).eps)


def test_certain_rows_get_positive_zero():
    one_hot = np.zeros((3, 2, 2))
    one_hot[:, :, 0] = 1.0
    for measure in (predictive_entropy, mutual_information):
        assert not np.signbit(measure(one_hot)).any()


def test_float32_passes_are_computed_in_float64():
    passes = random_passes().astype(np.float32)
    for measure in ALL_MEASURES:
        assert_array_equal(measure(passes), measure(passes.astype(np.float64)))


@pytest.mark.parametrize(
    "bad, allow_2d_name, match",
    [
        (
            np.full(3, 0.5),
            "y_proba",
            "Expected a 2-D or 3-D array of shape (n_rows, n_classes) or "
            "(n_samples, n_rows, n_classes) for y_proba, got an array with 1 "
            "dimension(s) and shape (3,).",
        ),
        (
            np.full((3, 2), 0.5),
            "y_proba_samples",
            "Expected a 3-D array of shape (n_samples, n_rows, n_classes) for "
            "y_proba_samples, got an array with 2 dimension(s) and shape (3, 2).",
        ),
        (
            np.full((2, 3, 2), "a"),
            "y_proba_samples",
            "y_proba_samples must contain numeric probabilities, got dtype <U1.",
        ),
        (
            np.zeros((2, 0, 2)),
            "y_proba_samples",
            "Found an empty array of shape (2, 0, 2) for y_proba_samples; "
            "expected at least one pass, one row and two classes in "
            "(n_samples, n_rows, n_classes).",
        ),
        (
            np.ones((2, 3, 1)),
            "y_proba_samples",
            "y_proba_samples has 1 class column; expected probabilities for at "
            "least 2 classes in the last axis. For a binary model that outputs "
            "only P(class 1), stack [1 - p, p] on the last axis.",
        ),
        (
            np.array([[1.2, 0.0]]),
            "y_proba",
            "y_proba must contain probabilities in [0, 1], got values in [0, 1.2].",
        ),
        (
            np.array([[0.6, 0.5], [0.3, 0.3]]),
            "y_proba",
            "The probabilities in y_proba do not sum to one over the last axis "
            "(classes); found a sum of 0.6. Pass probabilities, e.g. the output "
            "of predict_proba_samples.",
        ),
    ],
)
def test_invalid_probabilities_in_full(bad, allow_2d_name, match):
    measure = (
        max_probability_uncertainty if allow_2d_name == "y_proba" else variation_ratio
    )
    with pytest.raises(ValueError, match=f"^{re.escape(match)}$"):
        measure(bad)


def test_probability_tolerances():
    # On the edge of the range tolerance: accepted, and clipped.
    edge = np.array([[-TOL, 1 + TOL]])
    assert_array_equal(max_probability_uncertainty(edge), [0.0])
    # Sums within n_classes * tol of one pass, whatever the other axes.
    assert max_probability_uncertainty(np.array([[0.5, 0.5 + 1.5 * TOL]])).shape == (1,)
    three = np.array([[[1 / 3, 1 / 3, 1 / 3 + 2 * TOL]]] * 2)
    assert variation_ratio(three).shape == (1,)
    # Beyond it, even by little, refused: the tolerance is absolute.
    with pytest.raises(ValueError, match="found a sum of 1.0007"):
        max_probability_uncertainty(np.array([[0.5, 0.5 + 2 * TOL + 5e-6]]))
    # The message gives the sum farthest from one.
    for rows, worst in (
        ([[0.6, 0.5], [0.3, 0.3]], "0.6"),
        ([[0.8, 0.5], [0.5, 0.4]], "1.3"),
    ):
        with pytest.raises(ValueError, match=f"found a sum of {worst}\\."):
            max_probability_uncertainty(np.array(rows))


def test_entropy_skips_exact_zeros_without_reading_garbage():
    # Where p is 0 the log is never computed, so its output must start as 0:
    # memory just freed holds NaN here, which 0 * NaN would carry into the sum.
    rng = np.random.default_rng(0)
    for n_rows in (1, 7, 50, 400, 3000):
        p = rng.dirichlet(np.ones(3), size=n_rows)
        p[:, 0] = 0.0
        p /= p.sum(axis=1, keepdims=True)
        for _ in range(3):
            freed = np.full(p.shape, np.nan)
            del freed
        rest = p[:, 1:]
        expected = -(rest[:, 0] * np.log(rest[:, 0]) + rest[:, 1] * np.log(rest[:, 1]))
        assert_array_equal(_entropy(p), expected)
