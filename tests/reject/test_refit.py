"""refit=False (the default): the fold models the threshold was learnt on make
the predictions."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit

from sk_mcdropout import RejectOptionClassifier, RejectOptionRegressor
from sk_mcdropout.reject._base import route_rows

COVERAGE = 0.8


def _sampling_se(n_calibration, n_new):
    """SE of the accepted fraction of new rows: the threshold's and the rows'."""
    return np.sqrt(COVERAGE * (1 - COVERAGE) * (1 / n_calibration + 1 / n_new))


def test_fold_models_keep_the_coverage_a_refitted_model_exceeds(
    make_row_count_confident,
):
    # A model more confident the more rows it saw: refitted on all 300 rows it
    # accepts far more new rows than the threshold learnt on its folds meant.
    X, y = make_classification(
        6300, n_features=5, n_informative=3, n_redundant=0, flip_y=0.1, random_state=0
    )
    X_train, y_train, X_new = X[:300], y[:300], X[300:]
    se = _sampling_se(300, 6000)
    accepted = {}
    for refit in (True, False):
        clf = RejectOptionClassifier(
            make_row_count_confident(), coverage=COVERAGE, refit=refit
        ).fit(X_train, y_train)
        accepted[refit] = 1 - clf.reject(X_new).mean()
    assert accepted[True] > COVERAGE + 3 * se
    assert abs(accepted[False] - COVERAGE) < 3 * se


def test_network_coverage_on_a_few_hundred_rows(make_classifier, trainings):
    X, y = make_classification(
        2300, n_features=8, n_informative=4, flip_y=0.1, random_state=0
    )
    X_train, y_train, X_new = X[:300], y[:300], X[300:]
    clf = RejectOptionClassifier(
        make_classifier(hidden_layer_sizes=(8,), epochs=5),
        measure="predictive_entropy",
        coverage=COVERAGE,
    ).fit(X_train, y_train)
    # By default: the five fold networks and no refit.
    assert trainings == ["MCDropoutClassifier"] * 5
    assert not hasattr(clf, "estimator_")
    assert len(clf.estimators_) == 5
    scores = clf.rejection_scores(X_new)
    assert abs(1 - scores.rejected.mean() - COVERAGE) < 3 * _sampling_se(300, 2000)
    # Each row's scores and label are those of the one fold model it goes to.
    route = route_rows(X_new, 5)
    for fold, model in enumerate(clf.estimators_):
        rows = route == fold
        own = clf._row_scores(model, X_new[rows])
        assert_array_equal(scores.uncertainty[rows], own.uncertainty)
        assert_array_equal(scores.tiebreak[rows], own.tiebreak)
        assert_array_equal(scores.y_pred[rows], own.y_pred)
        assert_array_equal(
            clf.predict_proba(X_new[rows]), model.predict_proba(X_new[rows])
        )
    # A row's result does not depend on the rows that come with it.
    order = np.random.RandomState(0).permutation(len(X_new))[:500]
    subset = clf.rejection_scores(X_new[order])
    assert_array_equal(subset.uncertainty, scores.uncertainty[order])
    assert_array_equal(subset.rejected, scores.rejected[order])
    assert_array_equal(clf.predict(X_new[order]), clf.predict(X_new)[order])
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X_new), clf.predict(X_new))


def test_route_follows_the_row_values():
    rng = np.random.RandomState(0)
    X = rng.randint(-3, 4, size=(3000, 4))
    route = route_rows(X, 5)
    # About uniform over the models.
    counts = np.bincount(route, minlength=5)
    assert counts.min() > 3000 / 5 - 4 * np.sqrt(3000 * 0.2 * 0.8)
    # The same numbers give the same model, whatever their container or type.
    for same in (
        X.astype(np.float32),
        X.astype(np.float64) * 1.0,
        X.tolist(),
        sp.csr_matrix(X),
        sp.csc_array(X),
    ):
        assert_array_equal(route_rows(same, 5), route)
    assert_array_equal(route_rows(X[::-1], 5), route[::-1])
    assert_array_equal(route_rows(np.where(X == 0, -0.0, X), 5), route)
    pd = pytest.importorskip("pandas")
    assert_array_equal(route_rows(pd.DataFrame(X, columns=list("abcd")), 5), route)
    # Rows that are not all numbers are routed by their values too.
    frame = pd.DataFrame({"a": X[:, 0], "b": np.array(["x", "y", "z"])[X[:, 1] % 3]})
    mixed = route_rows(frame, 5)
    assert_array_equal(route_rows(frame.iloc[::-1], 5), mixed[::-1])
    assert len(set(mixed.tolist())) == 5


def test_route_is_fixed_across_versions_and_processes():
    # A saved reject option routes each row as it did when it was fitted,
    # wherever it is loaded: the route is a fixed function of the values.
    X = np.arange(24.0).reshape(8, 3)
    assert route_rows(X, 5).tolist() == [2, 0, 4, 3, 2, 3, 4, 0]
    mixed = np.array([[1, "x"], [2, "y"], [3, None]], dtype=object)
    assert route_rows(mixed, 3).tolist() == [2, 0, 0]
    with_numpy_ints = np.array([[np.int64(1), "x"]], dtype=object)
    assert route_rows(with_numpy_ints, 3).tolist() == [2]


def test_one_split_predicts_with_its_one_model_and_keeps_the_guarantee():
    X, y = make_classification(600, random_state=0)
    params = dict(max_risk=0.2, confidence=0.9, cv=0.5, random_state=0)
    with pytest.warns(UserWarning, match="does not cover cross-fitted"):
        RejectOptionClassifier(LogisticRegression(), refit=True, **params).fit(X, y)
    with pytest.warns(UserWarning, match="not independent draws"):
        RejectOptionClassifier(
            LogisticRegression(), max_risk=0.2, confidence=0.9, refit=False
        ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = RejectOptionClassifier(LogisticRegression(), refit=False, **params)
        clf.fit(X, y)
    (model,) = clf.estimators_
    assert_array_equal(clf.predict_proba(X), model.predict_proba(X))
    # The same certificate as the one model frozen and calibrated on the rows
    # it did not see.
    ((_, held_out),) = StratifiedShuffleSplit(
        n_splits=1, test_size=0.5, random_state=0
    ).split(X, y)
    frozen = RejectOptionClassifier(
        FrozenEstimator(model), max_risk=0.2, confidence=0.9
    ).fit(X[held_out], y[held_out])
    assert np.isfinite(clf.risk_bound_)
    assert clf.threshold_ == frozen.threshold_
    assert clf.risk_bound_ == frozen.risk_bound_
    assert clf.cv_coverage_ == frozen.cv_coverage_


def test_refit_parameter_of_a_prefit_or_frozen_estimator_is_ignored():
    X, y = make_classification(300, random_state=0)
    model = LogisticRegression().fit(X, y)
    for clf in (
        RejectOptionClassifier(FrozenEstimator(model), refit=False),
        RejectOptionClassifier(model, cv="prefit", refit=False),
    ):
        clf.fit(X, y)
        assert not hasattr(clf, "estimators_")
        assert_array_equal(clf.predict_proba(X), model.predict_proba(X))


def test_refit_is_a_parameter_and_a_refit_forgets_the_fold_models():
    X, y = make_classification(300, random_state=0)
    clf = RejectOptionClassifier(LogisticRegression(), refit=False)
    assert clf.get_params()["refit"] is False
    assert clone(clf).refit is False
    clf.fit(X, y)
    assert len(clf.estimators_) == 5 and not hasattr(clf, "estimator_")
    clf.set_params(refit=True).fit(X, y)
    assert not hasattr(clf, "estimators_") and hasattr(clf, "estimator_")
    clf.set_params(refit=False).fit(X, y)
    assert not hasattr(clf, "estimator_")


def test_fold_model_without_a_class_gets_zero_probability_for_it():
    # Class 2 has two rows, so one of the two folds never sees it.
    X = np.arange(40.0).reshape(-1, 1)
    y = np.r_[np.zeros(19), np.ones(19), [2, 2]].astype(int)
    clf = RejectOptionClassifier(
        LogisticRegression(),
        coverage=0.9,
        cv=[(np.arange(20), np.arange(20, 40)), (np.arange(20, 40), np.arange(20))],
        refit=False,
    ).fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    route = route_rows(X, 2)
    lacking = [i for i, m in enumerate(clf.estimators_) if 2 not in m.classes_]
    assert lacking
    assert np.all(proba[np.isin(route, lacking), 2] == 0.0)


def test_regressor_with_fold_models(make_regressor):
    X, y = make_regression(400, n_features=4, noise=5.0, random_state=0)
    reject = RejectOptionRegressor(
        make_regressor(epochs=3), coverage=COVERAGE, cv=2, refit=False
    ).fit(X[:200], y[:200])
    assert len(reject.estimators_) == 2
    mean, std = reject.predict(X[200:], return_std=True)
    route = route_rows(X[200:], 2)
    for fold, model in enumerate(reject.estimators_):
        rows = route == fold
        own_mean, own_std = model.predict(X[200:][rows], return_std=True)
        accepted = ~np.isnan(mean[rows])
        assert_array_equal(mean[rows][accepted], own_mean[accepted])
        assert_array_equal(std[rows][accepted], own_std[accepted])
