"""RejectOptionClassifier: threshold learning, labels, and scikit-learn fit."""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, RejectOptionClassifier
from sk_mcdropout.metrics import coverage_at_risk, selective_risk_at_coverage
from sk_mcdropout.reject._threshold import hoeffding_bentkus_upper
from sk_mcdropout.uncertainty import (
    max_probability_uncertainty,
    mutual_information,
    predicted_class_std,
    predictive_entropy,
    variation_ratio,
)

MC_MEASURES = {
    "predictive_entropy": predictive_entropy,
    "mutual_information": mutual_information,
    "variation_ratio": variation_ratio,
    "predicted_class_std": predicted_class_std,
}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=3000,
        n_features=8,
        n_informative=4,
        n_clusters_per_class=1,
        flip_y=0.02,
        random_state=0,
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.95])
def test_coverage_on_new_data_is_close_to_target(data, coverage):
    X_train, X_test, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), coverage=coverage)
    clf.fit(X_train, y_train)
    assert clf.cv_coverage_ == pytest.approx(coverage, abs=1e-3)
    assert abs((~clf.reject(X_test)).mean() - coverage) < 0.04


def test_threshold_is_quantile_of_out_of_fold_uncertainty(data):
    X_train, _, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), coverage=0.8, refit=True)
    clf.fit(X_train, y_train)
    # cv=5 means StratifiedKFold(5) without shuffling, as in cross_val_predict.
    oof = cross_val_predict(
        LogisticRegression(),
        X_train,
        y_train,
        cv=StratifiedKFold(5),
        method="predict_proba",
    )
    uncertainty = max_probability_uncertainty(oof)
    expected = np.quantile(uncertainty, 0.8, method="inverted_cdf")
    assert clf.threshold_ == pytest.approx(expected)
    y_oof = oof.argmax(axis=1)
    assert clf.cv_risk_ == pytest.approx(
        selective_risk_at_coverage(y_train, y_oof, uncertainty, 0.8)
    )
    # With refit=True the predictions come from a model refitted on all the
    # training data.
    refitted = LogisticRegression().fit(X_train, y_train)
    assert_allclose(clf.estimator_.coef_, refitted.coef_)


def test_max_risk_gives_largest_coverage_within_risk(data):
    X_train, _, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), max_risk=0.015)
    clf.fit(X_train, y_train)
    oof = cross_val_predict(
        LogisticRegression(),
        X_train,
        y_train,
        cv=StratifiedKFold(5),
        method="predict_proba",
    )
    uncertainty = max_probability_uncertainty(oof)
    y_oof = oof.argmax(axis=1)
    assert clf.cv_risk_ <= 0.015
    assert clf.cv_coverage_ == pytest.approx(
        coverage_at_risk(y_train, y_oof, uncertainty, 0.015)
    )
    assert 0.5 < clf.cv_coverage_ < 1.0


def test_unreachable_max_risk_rejects_everything(data):
    X_train, X_test, y_train, _ = data
    rng = np.random.default_rng(0)
    y_noise = rng.integers(0, 2, y_train.size)  # no row can be predicted
    clf = RejectOptionClassifier(LogisticRegression(), max_risk=0.0, cv=3)
    with pytest.warns(UserWarning, match="every row will be rejected"):
        clf.fit(X_train, y_noise)
    assert clf.threshold_ == -np.inf
    assert clf.reject(X_test).all()
    assert (clf.predict(X_test) == -1).all()


def test_full_coverage_never_rejects(data):
    X_train, X_test, y_train, _ = data
    for refit in (True, False):
        clf = RejectOptionClassifier(
            LogisticRegression(), coverage=1.0, cv=3, refit=refit
        ).fit(X_train, y_train)
        assert clf.threshold_ == np.inf
        assert not clf.reject(X_test).any()
        assert_array_equal(
            clf.predict(X_test), clf.predict_proba(X_test).argmax(axis=1)
        )


def test_default_is_ninety_percent_coverage(data):
    X_train, _, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression()).fit(X_train, y_train)
    assert clf.cv_coverage_ == pytest.approx(0.9, abs=1e-3)


def test_predict_reject_and_predict_proba_agree(data):
    X_train, X_test, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), coverage=0.7, refit=True)
    clf.fit(X_train, y_train)
    rejected = clf.reject(X_test)
    y_pred = clf.predict(X_test)
    assert rejected.dtype == bool and 0 < rejected.mean() < 1
    assert_array_equal(y_pred == -1, rejected)
    assert_array_equal(y_pred[~rejected], clf.estimator_.predict(X_test)[~rejected])
    proba = clf.predict_proba(X_test)
    assert_array_equal(proba, clf.estimator_.predict_proba(X_test))
    assert_array_equal(rejected, 1 - proba.max(axis=1) > clf.threshold_)
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X_train.shape[1]


@pytest.mark.parametrize(
    "classes, reject_label, expected_label, expected_dtype",
    [
        ([0, 1], None, -1, np.int64),
        ([-1, 1], None, -2, np.int64),
        ([0.0, 1.0], None, -1, np.float64),
        (["no", "yes"], None, "rejected", np.dtype("<U8")),
        (["no", "yes"], "?", "?", np.dtype("<U3")),
        ([0, 1], "rejected", "rejected", object),
        ([0, 1], 99, 99, np.int64),
    ],
)
def test_reject_label(data, classes, reject_label, expected_label, expected_dtype):
    X_train, X_test, y_train, _ = data
    y = np.asarray(classes)[y_train]
    clf = RejectOptionClassifier(
        LogisticRegression(), coverage=0.5, cv=2, reject_label=reject_label
    ).fit(X_train, y)
    assert clf.reject_label_ == expected_label
    y_pred = clf.predict(X_test)
    assert y_pred.dtype == expected_dtype
    rejected = clf.reject(X_test)
    assert all(label == expected_label for label in y_pred[rejected])
    accepted = y_pred[~rejected]
    assert set(accepted.tolist()) <= set(classes)
    if expected_dtype is object:
        # Integer labels stay integers next to a string reject label.
        assert all(isinstance(label, (int, np.integer)) for label in accepted)


def test_reject_label_must_not_be_a_class(data):
    X_train, _, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), reject_label=1, cv=2)
    with pytest.raises(ValueError, match="is one of the classes"):
        clf.fit(X_train, y_train)
    y = np.where(y_train == 1, "rejected", "ok")
    with pytest.raises(ValueError, match="set reject_label"):
        RejectOptionClassifier(LogisticRegression(), cv=2).fit(X_train, y)


def test_prefit_and_frozen_use_all_data_as_held_out(data):
    X_train, X_test, y_train, y_test = data
    fitted = LogisticRegression().fit(X_train, y_train)
    expected = np.quantile(
        max_probability_uncertainty(fitted.predict_proba(X_test)),
        0.8,
        method="inverted_cdf",
    )
    prefit = RejectOptionClassifier(fitted, coverage=0.8, cv="prefit")
    prefit.fit(X_test, y_test)
    assert prefit.estimator_ is fitted
    assert prefit.threshold_ == pytest.approx(expected)
    frozen = RejectOptionClassifier(FrozenEstimator(fitted), coverage=0.8)
    frozen.fit(X_test, y_test)
    assert frozen.threshold_ == prefit.threshold_
    assert_array_equal(frozen.predict(X_test), prefit.predict(X_test))
    # clone() keeps a FrozenEstimator fitted; that is what makes it the safe
    # choice inside grid searches.
    assert clone(frozen).fit(X_test, y_test).threshold_ == frozen.threshold_
    with pytest.raises(NotFittedError):
        RejectOptionClassifier(LogisticRegression(), cv="prefit").fit(X_test, y_test)


def test_sample_weight_weights_the_threshold_and_the_fit(data):
    X_train, X_test, y_train, y_test = data
    fitted = LogisticRegression().fit(X_train, y_train)
    weights = np.ones(y_test.size)
    weights[: y_test.size // 2] = 0
    weighted = RejectOptionClassifier(FrozenEstimator(fitted), coverage=0.8)
    weighted.fit(X_test, y_test, sample_weight=weights)
    half = RejectOptionClassifier(FrozenEstimator(fitted), coverage=0.8)
    half.fit(X_test[y_test.size // 2 :], y_test[y_test.size // 2 :])
    assert weighted.threshold_ == half.threshold_
    # With cross-fitting the weights also reach the estimator's fit.
    unit = RejectOptionClassifier(LogisticRegression(), cv=3, refit=True)
    unit.fit(X_train, y_train)
    doubled = RejectOptionClassifier(LogisticRegression(), cv=3, refit=True).fit(
        X_train, y_train, sample_weight=np.where(y_train == 1, 5.0, 1.0)
    )
    assert not np.allclose(unit.estimator_.coef_, doubled.estimator_.coef_)


def test_float_cv_is_a_seeded_single_split(data):
    X_train, _, y_train, _ = data
    a = RejectOptionClassifier(LogisticRegression(), cv=0.3, random_state=0)
    b = RejectOptionClassifier(LogisticRegression(), cv=0.3, random_state=1)
    assert (
        a.fit(X_train, y_train).threshold_ == clone(a).fit(X_train, y_train).threshold_
    )
    assert a.threshold_ != b.fit(X_train, y_train).threshold_


def test_pickle_grid_search_and_pipeline(data):
    X_train, X_test, y_train, _ = data
    pipe = make_pipeline(
        StandardScaler(), RejectOptionClassifier(LogisticRegression(), cv=3)
    )
    search = GridSearchCV(
        pipe,
        {"rejectoptionclassifier__coverage": [0.6, 0.9]},
        cv=3,
    ).fit(X_train, y_train)
    # score is accuracy with rejected rows counted as errors: more coverage wins.
    assert search.best_params_ == {"rejectoptionclassifier__coverage": 0.9}
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict(X_test), search.predict(X_test))


# --- with an MCDropoutClassifier -------------------------------------------


@pytest.mark.parametrize("measure", sorted(MC_MEASURES))
def test_mc_measures_on_frozen_classifier(cancer, mc_clf, measure):
    _, X_test, _, y_test = cancer
    clf = RejectOptionClassifier(FrozenEstimator(mc_clf), measure=measure)
    clf.fit(X_test, y_test)
    samples = mc_clf.predict_proba_samples(X_test)
    uncertainty = MC_MEASURES[measure](samples)
    # Ties in the measure are broken by one minus the top mean probability.
    tiebreak = max_probability_uncertainty(samples)
    expected = (uncertainty > clf.threshold_) | (
        (uncertainty == clf.threshold_) & (tiebreak > clf.tiebreak_threshold_)
    )
    rejected = clf.reject(X_test)
    assert_array_equal(rejected, expected)
    assert_array_equal(
        clf.predict(X_test)[~rejected], mc_clf.predict(X_test)[~rejected]
    )
    # Every measure meets the target to the row, variation_ratio included.
    assert clf.cv_coverage_ == pytest.approx(0.9, abs=1 / len(y_test))


def test_uncertainty_functions_agree_with_classifier(cancer, mc_clf):
    _, X_test, _, _ = cancer
    samples = mc_clf.predict_proba_samples(X_test)
    proba = mc_clf.predict_proba(X_test)
    assert_allclose(
        max_probability_uncertainty(samples), 1 - proba.max(axis=1), atol=1e-5
    )
    predicted = proba.argmax(axis=1)
    std = mc_clf.predict_uncertainty(X_test)[np.arange(len(X_test)), predicted]
    assert_allclose(predicted_class_std(samples), std, atol=1e-5)


def test_mc_measure_through_pipeline_with_cross_fitting(cancer):
    X_train, X_test, y_train, _ = cancer
    pipe = make_pipeline(
        StandardScaler(),
        MCDropoutClassifier(
            hidden_layer_sizes=(8,), epochs=5, n_samples=10, random_state=0
        ),
    )
    clf = RejectOptionClassifier(pipe, measure="mutual_information", cv=2)
    clf.fit(X_train, y_train)
    assert np.isfinite(clf.threshold_)
    # The tie-breaker makes every coverage reachable to the row, cross-fitted
    # MC passes included.
    assert clf.cv_coverage_ == pytest.approx(0.9, abs=1 / len(y_train))
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X_test), clf.predict(X_test))
    assert 0.75 < (~clf.reject(X_test)).mean() <= 1.0


def test_sparse_rows_are_rejected_as_their_dense_form(cancer):
    # Out-of-fold fits, the novelty guard and the threshold all see the MC
    # passes of the same rows, whether X is sparse or dense.
    X_train, X_test, y_train, _ = cancer
    X_train, y_train = X_train[:200], y_train[:200]
    net = MCDropoutClassifier(
        hidden_layer_sizes=(4,), epochs=2, n_samples=5, random_state=0
    )
    fitted = [
        RejectOptionClassifier(
            net, measure="mutual_information", novelty_quantile=0.9, cv=2
        ).fit(X, y_train)
        for X in (X_train, sp.csr_matrix(X_train))
    ]
    dense, sparse = fitted
    assert sparse.threshold_ == dense.threshold_
    assert sparse.novelty_threshold_ == dense.novelty_threshold_
    assert_array_equal(sparse.predict(sp.csc_matrix(X_test)), dense.predict(X_test))
    assert_array_equal(
        sparse.rejection_scores(sp.csr_array(X_test)).novelty,
        dense.rejection_scores(X_test).novelty,
    )


def test_ties_in_the_measure_are_broken_by_the_mean_probability(lookup):
    # Passes that always agree: the variation ratio and mutual information
    # are 0 for every row. Before ties were broken, coverage=0.8 accepted
    # every row.
    rng = np.random.RandomState(0)
    p1 = rng.uniform(size=1000)
    frozen, ids = lookup(np.column_stack([1 - p1, p1]))
    y = (rng.uniform(size=1000) < p1).astype(int)
    for measure in ("variation_ratio", "mutual_information"):
        clf = RejectOptionClassifier(frozen, measure=measure, coverage=0.8)
        clf.fit(ids, y)
        assert clf.cv_coverage_ == pytest.approx(0.8)
        rejected = clf.reject(ids)
        assert rejected.mean() == pytest.approx(0.2)
        # The least confident rows are the ones rejected.
        confidence = np.maximum(p1, 1 - p1)
        assert confidence[rejected].max() <= confidence[~rejected].min()


def test_warning_when_identical_rows_make_the_target_unreachable(lookup):
    proba = np.r_[np.tile([[0.9, 0.1]], (500, 1)), np.tile([[0.6, 0.4]], (500, 1))]
    frozen, ids = lookup(proba)
    y = np.zeros(1000, dtype=int)
    clf = RejectOptionClassifier(frozen, coverage=0.3)
    with pytest.warns(UserWarning, match="500 rows have exactly the same"):
        clf.fit(ids, y)
    assert clf.cv_coverage_ == 0.5


def test_certified_bound_is_clopper_pearson_and_largest_in_sequence(lookup):
    from scipy.stats import beta

    rng = np.random.RandomState(0)
    n = 3000
    uncertainty = rng.uniform(0, 0.5, size=n)
    frozen, ids = lookup(np.column_stack([1 - uncertainty, uncertainty]))
    # Error probability grows with the uncertainty: 0 to 0.2.
    wrong = rng.uniform(size=n) < 0.4 * uncertainty
    y = np.where(wrong, 1, 0)
    clf = RejectOptionClassifier(frozen, max_risk=0.05, confidence=0.95)
    clf.fit(ids, y)
    order = np.argsort(uncertainty)
    k = np.cumsum(wrong[order])
    m = np.arange(1, n + 1)
    bounds = np.where(k < m, beta.ppf(0.95, k + 1, m - k), 1.0)
    start = 300  # a tenth of the rows; (1 - 0.05) ** m <= 0.05 from m = 59
    failed = np.flatnonzero(bounds[start - 1 :] > 0.05)
    last = start - 1 + failed[0] - 1
    assert clf.cv_coverage_ == pytest.approx((last + 1) / n)
    assert clf.risk_bound_ == pytest.approx(bounds[last])
    assert clf.cv_risk_ == pytest.approx(k[last] / (last + 1))
    assert clf.threshold_ == uncertainty[order][last]


def test_sgr_correction_splits_delta_over_its_binary_search(lookup):
    from scipy.stats import beta

    rng = np.random.RandomState(0)
    n = 3000
    uncertainty = rng.uniform(0, 0.5, size=n)
    frozen, ids = lookup(np.column_stack([1 - uncertainty, uncertainty]))
    y = (rng.uniform(size=n) < 0.4 * uncertainty).astype(int)
    params = dict(max_risk=0.05, confidence=0.95)
    sgr = RejectOptionClassifier(frozen, correction="sgr", **params).fit(ids, y)
    ltt = RejectOptionClassifier(frozen, **params).fit(ids, y)
    accepted = ~sgr.reject(ids)
    k, m = y[accepted].sum(), accepted.sum()
    level = 0.05 / np.ceil(np.log2(n + 1))
    assert sgr.risk_bound_ == pytest.approx(beta.ppf(1 - level, k + 1, m - k))
    assert sgr.risk_bound_ <= 0.05
    # On a risk that grows with the uncertainty, the fixed sequence certifies
    # more.
    assert ltt.cv_coverage_ > sgr.cv_coverage_


def test_nothing_certifiable_rejects_everything_with_a_warning(data):
    X_train, X_test, y_train, y_test = data
    frozen = FrozenEstimator(LogisticRegression().fit(X_train, y_train))
    clf = RejectOptionClassifier(frozen, max_risk=0.001, confidence=0.95)
    with pytest.warns(UserWarning, match="No threshold can be certified"):
        clf.fit(X_test[:200], y_test[:200])
    assert clf.threshold_ == -np.inf
    assert clf.cv_coverage_ == 0.0
    assert np.isnan(clf.risk_bound_)
    assert clf.reject(X_test).all()


def test_confidence_refuses_weights_and_warns_on_cross_fitting(data):
    X_train, _, y_train, _ = data
    clf = RejectOptionClassifier(LogisticRegression(), max_risk=0.05, confidence=0.9)
    with pytest.raises(ValueError, match="sample_weight cannot be used"):
        clf.fit(X_train, y_train, sample_weight=np.ones(len(y_train)))
    with pytest.warns(UserWarning, match="does not cover cross-fitted"):
        clf.fit(X_train, y_train)
    assert clf.risk_bound_ <= 0.05


def test_error_cost_weights_the_risk(lookup):
    rng = np.random.RandomState(0)
    n = 2000
    p1 = rng.uniform(size=n)
    frozen, ids = lookup(np.column_stack([1 - p1, p1]), classes=("No", "Yes"))
    y = np.where(rng.uniform(size=n) < p1, "Yes", "No")
    labels = np.where(p1 > 0.5, "Yes", "No")
    cost = {"Yes": 1.0, "No": 0.2}
    clf = RejectOptionClassifier(frozen, coverage=0.7, error_cost=cost).fit(ids, y)
    accepted = ~clf.reject(ids)
    row_cost = np.where(y == "Yes", 1.0, 0.2) * (labels != y)
    assert clf.cv_risk_ == pytest.approx(row_cost[accepted].mean())
    # Certified: 0/1 costs give the Clopper-Pearson bound; other costs the
    # (wider) Hoeffding-Bentkus bound, which still covers the risk.
    plain = RejectOptionClassifier(frozen, max_risk=0.1, confidence=0.9).fit(ids, y)
    costly = RejectOptionClassifier(
        frozen, max_risk=0.1, confidence=0.9, error_cost={"Yes": 1.0, "No": 1.0}
    ).fit(ids, y)
    assert costly.risk_bound_ == pytest.approx(plain.risk_bound_)
    weighted = RejectOptionClassifier(
        frozen, max_risk=0.1, confidence=0.9, error_cost=cost
    ).fit(ids, y)
    assert weighted.cv_risk_ <= weighted.risk_bound_ <= 0.1
    assert weighted.cv_coverage_ > plain.cv_coverage_


def test_bool_labels_keep_their_type(data):
    # Bool classes and the default -1 used to give
    # int64 predictions {-1, 0, 1}.
    X_train, X_test, y_train, _ = data
    y = y_train.astype(bool)
    clf = RejectOptionClassifier(LogisticRegression(), coverage=0.8, cv=2)
    y_pred = clf.fit(X_train, y).predict(X_test)
    assert y_pred.dtype == object
    rejected = clf.reject(X_test)
    assert all(isinstance(label, (bool, np.bool_)) for label in y_pred[~rejected])
    assert set(y_pred[rejected].tolist()) == {-1}


def test_frozen_estimator_refuses_labels_it_was_not_fitted_on(data):
    # Int classes calibrated on ["a", "b"] learnt a
    # threshold with cv_risk_ 1.0.
    X_train, X_test, y_train, _ = data
    frozen = FrozenEstimator(LogisticRegression().fit(X_train, y_train))
    y_str = np.where(y_train == 1, "b", "a")
    with pytest.raises(ValueError, match="not fitted on; its classes_ are"):
        RejectOptionClassifier(frozen).fit(X_train, y_str)


def test_error_cost_with_sgr_and_with_cross_fitting(lookup, data):
    rng = np.random.RandomState(1)
    n = 3000
    p1 = rng.uniform(size=n)
    frozen, ids = lookup(np.column_stack([1 - p1, p1]), classes=("No", "Yes"))
    y = np.where(rng.uniform(size=n) < p1, "Yes", "No")
    cost = {"Yes": 1.0, "No": 0.3}
    sgr = RejectOptionClassifier(
        frozen, max_risk=0.1, confidence=0.9, correction="sgr", error_cost=cost
    ).fit(ids, y)
    accepted = ~sgr.reject(ids)
    row_cost = np.where(y == "Yes", 1.0, 0.3) * (np.where(p1 > 0.5, "Yes", "No") != y)
    # Costs other than 0 and 1: the Hoeffding-Bentkus bound, at SGR's level.
    level = 0.1 / np.ceil(np.log2(n + 1))
    assert sgr.risk_bound_ == pytest.approx(
        hoeffding_bentkus_upper(row_cost[accepted].sum(), accepted.sum(), level)
    )
    assert sgr.cv_risk_ == pytest.approx(row_cost[accepted].mean())
    assert sgr.cv_risk_ <= sgr.risk_bound_ <= 0.1
    # Cross-fitted: the risk of the accepted out-of-fold rows is their cost.
    X_train, _, y_train, _ = data
    labels = np.array(["No", "Yes"])[y_train]
    clf = RejectOptionClassifier(
        LogisticRegression(), coverage=0.8, error_cost=cost, cv=3
    ).fit(X_train, labels)
    oof = cross_val_predict(
        LogisticRegression(),
        X_train,
        labels,
        cv=StratifiedKFold(3),
        method="predict_proba",
    )
    held_out_cost = np.where(labels == "Yes", 1.0, 0.3) * (
        np.array(["No", "Yes"])[oof.argmax(axis=1)] != labels
    )
    accepted = max_probability_uncertainty(oof) <= clf.threshold_
    assert accepted.mean() == pytest.approx(clf.cv_coverage_)
    assert clf.cv_risk_ == pytest.approx(held_out_cost[accepted].mean())


@pytest.mark.parametrize("measure", ["max_probability", "variation_ratio"])
def test_rejection_scores_are_what_the_rejection_reads(lookup, measure):
    rng = np.random.RandomState(0)
    samples = rng.dirichlet([0.5, 0.5, 0.5], size=(6, 300))
    frozen, ids = lookup(samples=samples, classes=(3, 5, 7))
    y = rng.choice([3, 5, 7], size=300)
    clf = RejectOptionClassifier(
        frozen, measure=measure, coverage=0.7, error_cost={3: 1.0, 5: 0.5, 7: 0.0}
    ).fit(ids, y)
    scores = clf.rejection_scores(ids, y)
    mean = samples.mean(axis=0)
    if measure == "max_probability":
        assert_array_equal(scores.uncertainty, max_probability_uncertainty(mean))
        assert_array_equal(scores.tiebreak, predictive_entropy(mean[np.newaxis]))
    else:
        assert_array_equal(scores.uncertainty, variation_ratio(samples))
        assert_array_equal(scores.tiebreak, max_probability_uncertainty(samples))
    assert scores.novelty is None
    assert_array_equal(scores.y_pred, np.array([3, 5, 7])[mean.argmax(axis=1)])
    assert_array_equal(scores.rejected, clf.reject(ids))
    assert not scores.novel.any()
    cost = np.select([y == 3, y == 5], [1.0, 0.5], 0.0)
    assert_array_equal(scores.loss, cost * (scores.y_pred != y))
    # The held-out rows are these rows: their accepted mean loss is cv_risk_.
    assert clf.cv_risk_ == pytest.approx(scores.loss[~scores.rejected].mean())
    assert clf.rejection_scores(ids).loss is None
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.rejection_scores(ids, y[:-1])
    with pytest.raises(NotFittedError):
        RejectOptionClassifier(frozen).rejection_scores(ids)


def test_warnings_point_at_the_callers_line(lookup, data):
    proba = np.r_[np.tile([[0.9, 0.1]], (500, 1)), np.tile([[0.6, 0.4]], (500, 1))]
    frozen, ids = lookup(proba)
    y = np.r_[np.zeros(990, dtype=int), np.ones(10, dtype=int)]
    X_train, _, y_train, _ = data
    fits = [
        lambda: RejectOptionClassifier(frozen, coverage=0.3).fit(ids, y),
        lambda: RejectOptionClassifier(frozen, max_risk=0.0).fit(ids, 1 - y),
        lambda: RejectOptionClassifier(frozen, max_risk=1e-4, confidence=0.9).fit(
            ids, y
        ),
        lambda: RejectOptionClassifier(
            LogisticRegression(), max_risk=0.2, confidence=0.9, cv=2
        ).fit(X_train, y_train),
    ]
    for fit in fits:
        with pytest.warns(UserWarning) as record:
            fit()
        assert {warning.filename for warning in record} == {__file__}


def test_mc_passes_are_found_through_pipelines_and_freezing(make_bootstrap):
    X, y = make_classification(n_samples=300, n_features=4, random_state=1)
    scale = StandardScaler().fit(X)
    model = make_bootstrap(n_members=4, random_state=0).fit(scale.transform(X), y)
    passes = model.predict_proba_samples(scale.transform(X))
    pipe = make_pipeline(scale, model)
    cases = [
        (pipe, X),
        (FrozenEstimator(pipe), X),
        (FrozenEstimator(model), scale.transform(X)),
    ]
    for estimator, X_in in cases:
        clf = RejectOptionClassifier(
            estimator, measure="mutual_information", coverage=0.8, cv="prefit"
        ).fit(X_in, y)
        assert_array_equal(
            clf.rejection_scores(X_in).uncertainty, mutual_information(passes)
        )
    message = (
        "This measure needs Monte Carlo passes: the estimator (or the last step "
        "of its Pipeline) must have a predict_proba_samples method, such as "
        "MCDropoutClassifier; LogisticRegression has none. Use "
        "measure='max_probability' "
        "for a classifier with only predict_proba."
    )
    plain = make_pipeline(scale, LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        RejectOptionClassifier(plain, measure="variation_ratio", cv="prefit").fit(X, y)
