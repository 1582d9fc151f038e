"""The novelty guard of RejectOptionClassifier, against values computed by hand."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold

from sk_mcdropout import RejectOptionClassifier
from sk_mcdropout.uncertainty import (
    max_probability_uncertainty,
    mutual_information,
    predicted_class_std,
    predictive_entropy,
    variation_ratio,
)

MEASURES = {
    "max_probability": max_probability_uncertainty,
    "predictive_entropy": predictive_entropy,
    "mutual_information": mutual_information,
    "variation_ratio": variation_ratio,
    "predicted_class_std": predicted_class_std,
}


@pytest.fixture(scope="module")
def passes():
    """Eight passes over 500 rows of 3 classes; the rows disagree unequally."""
    rng = np.random.RandomState(0)
    concentration = rng.uniform(0.3, 30, size=(1, 500, 1))
    centre = rng.dirichlet(np.ones(3), size=500)
    return np.stack(
        [
            np.array([rng.dirichlet(c) for c in (concentration[0] * centre + 0.05)])
            for _ in range(8)
        ]
    )


def by_hand(uncertainty, tiebreak, novelty, quantile, coverage):
    """The guard's threshold, then the coverage threshold on the rows it passes."""
    novelty_threshold = np.quantile(novelty, quantile, method="inverted_cdf")
    passed = novelty <= novelty_threshold
    order = np.lexsort((tiebreak[passed], uncertainty[passed]))
    last = int(np.ceil(coverage * novelty.size - 1e-9)) - 1  # no ties here
    return (
        novelty_threshold,
        uncertainty[passed][order][last],
        tiebreak[passed][order][last],
    )


@pytest.mark.parametrize("novelty_measure", sorted(MEASURES))
def test_guard_threshold_and_reasons(lookup, passes, novelty_measure):
    frozen, ids = lookup(samples=passes, classes=("a", "b", "c"))
    y = np.array(["a", "b", "c"])[passes.mean(axis=0).argmax(axis=1)]
    clf = RejectOptionClassifier(
        frozen,
        measure="predictive_entropy",
        coverage=0.8,
        novelty_quantile=0.9,
        novelty_measure=novelty_measure,
    ).fit(ids, y)
    uncertainty = predictive_entropy(passes)
    tiebreak = max_probability_uncertainty(passes)
    novelty = MEASURES[novelty_measure](passes)
    novelty_threshold, threshold, tiebreak_threshold = by_hand(
        uncertainty, tiebreak, novelty, 0.9, 0.8
    )
    assert clf.novelty_threshold_ == novelty_threshold
    assert clf.threshold_ == threshold
    assert clf.tiebreak_threshold_ == tiebreak_threshold
    novel = novelty > novelty_threshold
    ambiguous = (uncertainty > threshold) | (
        (uncertainty == threshold) & (tiebreak > tiebreak_threshold)
    )
    expected = np.where(novel, "novel", np.where(ambiguous, "ambiguous", "accepted"))
    reason = clf.reject(ids, return_reason=True)
    assert_array_equal(reason, expected)
    # Both reasons occur, and a novel row is "novel" whatever its uncertainty.
    assert (reason == "ambiguous").sum() > 0
    assert (novel & ambiguous).sum() > 0
    # The coverage target is about all the rows, both rules counted.
    assert clf.cv_coverage_ == pytest.approx(0.8, abs=1 / len(y))
    assert clf.cv_coverage_ == pytest.approx((reason == "accepted").mean())
    assert_array_equal(clf.predict(ids) == clf.reject_label_, reason != "accepted")


def test_without_a_guard_nothing_is_novel(lookup, passes):
    frozen, ids = lookup(samples=passes, classes=(0, 1, 2))
    y = passes.mean(axis=0).argmax(axis=1)
    clf = RejectOptionClassifier(frozen, measure="mutual_information").fit(ids, y)
    assert clf.novelty_threshold_ == np.inf
    reason = clf.reject(ids, return_reason=True)
    assert set(reason.tolist()) == {"accepted", "ambiguous"}
    assert clf.rejection_scores(ids).novelty is None


def test_guard_with_cross_fitting(make_bootstrap):
    X, y = make_classification(
        n_samples=600, n_features=5, n_informative=3, random_state=0
    )
    model = make_bootstrap(n_members=5, random_state=0)
    cv = StratifiedKFold(3)
    clf = RejectOptionClassifier(
        model, coverage=0.8, novelty_quantile=0.9, cv=cv, refit=True
    ).fit(X, y)
    # Out-of-fold passes of clones fitted by hand.
    index = np.concatenate([test for _, test in cv.split(X, y)])
    samples = np.concatenate(
        [
            clone(model).fit(X[train], y[train]).predict_proba_samples(X[test])
            for train, test in cv.split(X, y)
        ],
        axis=1,
    )
    assert_array_equal(np.sort(index), np.arange(len(y)))
    novelty_threshold, threshold, tiebreak_threshold = by_hand(
        max_probability_uncertainty(samples),
        predictive_entropy(samples.mean(axis=0)[np.newaxis]),
        mutual_information(samples),
        0.9,
        0.8,
    )
    assert clf.novelty_threshold_ == novelty_threshold
    assert clf.threshold_ == threshold
    assert clf.tiebreak_threshold_ == tiebreak_threshold
    # With refit=True new rows are judged by the model refitted on all the
    # rows.
    refitted = clone(model).fit(X, y).predict_proba_samples(X)
    novel = mutual_information(refitted) > novelty_threshold
    assert_array_equal(clf.reject(X, return_reason=True) == "novel", novel)
