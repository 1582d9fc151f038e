"""MCDropoutClassifier wherever a scikit-learn classifier goes."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import make_column_transformer
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GridSearchCV,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import MCDropoutClassifier


def test_is_a_classifier_with_honest_tags():
    clf = MCDropoutClassifier()
    assert is_classifier(clf)
    tags = clf.__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert tags.target_tags.required
    assert tags.input_tags.sparse
    assert not tags.non_deterministic


def test_pipeline(binary_data, make_classifier):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), make_classifier(epochs=3)).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)
    assert pipe.score(X, y) > 0.8


def test_grid_search_over_p_and_n_samples(multiclass_data, make_classifier):
    X, y = multiclass_data
    search = GridSearchCV(
        make_classifier(epochs=5),
        {"p": [0.1, 0.3], "n_samples": [5, 10]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.n_samples == search.best_params_["n_samples"]


def test_cross_validation_folds_are_stratified(multiclass_data, make_classifier):
    # iris' labels are sorted: the folds of a KFold (what scikit-learn uses
    # for a non-classifier) would each test on one class never trained on.
    X, y = multiclass_data
    result = cross_validate(make_classifier(epochs=2), X, y, cv=3, return_indices=True)
    for test in result["indices"]["test"]:
        counts = np.bincount(y[test], minlength=3)
        assert counts.min() >= 16 and counts.max() <= 17


def test_cross_validate_roc_auc(binary_data, make_classifier):
    X, y = binary_data
    result = cross_validate(make_classifier(epochs=3), X, y, cv=3, scoring="roc_auc")
    assert (result["test_score"] > 0.9).all()


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
@pytest.mark.parametrize("which", ["binary", "multiclass"])
def test_calibrated_classifier_cv(which, method, request, make_classifier):
    X, y = request.getfixturevalue(f"{which}_data")
    calibrated = CalibratedClassifierCV(
        make_classifier(epochs=5), method=method, cv=3
    ).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # Each fold's calibrators map that fold's Monte Carlo probabilities (one
    # per class, the positive class alone for binary data), renormalised.
    folds = []
    for fold in calibrated.calibrated_classifiers_:
        scores = fold.estimator.predict_proba(X)
        columns = [1] if scores.shape[1] == 2 else range(scores.shape[1])
        mapped = np.column_stack(
            [
                cal.predict(scores[:, k])
                for k, cal in zip(columns, fold.calibrators, strict=True)
            ]
        )
        if scores.shape[1] == 2:
            mapped = np.column_stack([1 - mapped[:, 0], mapped[:, 0]])
        folds.append(mapped / mapped.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, np.mean(folds, axis=0), atol=1e-6)


def test_calibration_of_a_frozen_fitted_estimator(binary_data, make_classifier):
    X, y = binary_data
    X_fit, X_cal, y_fit, y_cal = train_test_split(X, y, random_state=0, stratify=y)
    clf = make_classifier().fit(X_fit, y_fit)
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method="sigmoid")
    calibrated.fit(X_cal, y_cal)
    assert calibrated.predict_proba(X_cal).shape == (len(X_cal), 2)
    assert calibrated.score(X_cal, y_cal) > 0.8


def test_clone_keeps_parameters_and_drops_fitted_state(binary_clf):
    cloned = clone(binary_clf)
    assert cloned.get_params() == binary_clf.get_params()
    assert not hasattr(cloned, "model_")


def test_dataframe_records_feature_names(binary_data, make_classifier):
    X, y = binary_data
    df = pd.DataFrame(X[:, :5], columns=[f"f{i}" for i in range(5)])
    clf = make_classifier(epochs=2).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    assert clf.predict_proba(df).shape == (len(df), 2)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict_proba(df.rename(columns={"f0": "other"}))


def test_pandas_output_is_quiet_and_changes_nothing(
    binary_data, make_classifier, make_regressor
):
    # set_config(transform_output="pandas") makes the transformers before the
    # network return DataFrames; the network's own encoding must neither warn
    # nor change a prediction.
    X, y = binary_data
    df = pd.DataFrame(X[:, :5], columns=[f"f{i}" for i in range(5)])
    for make in (make_classifier, make_regressor):
        pipe = make_pipeline(StandardScaler(), make(epochs=2))
        expected = pipe.fit(df, y).predict(df)
        with config_context(transform_output="pandas"), warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_array_equal(pipe.fit(df, y).predict(df), expected)
            pipe[-1].predict_uncertainty(pipe[:-1].transform(df))


def test_string_class_labels(multiclass_data, make_classifier):
    X, y = multiclass_data
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = make_classifier(epochs=5).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, names[[0, 50, 100]])
    assert set(clf.predict(X)) <= set(names)
    assert clf.score(X, names) > 0.7


def test_one_hot_columns_given_sparse_train_the_same_network(make_classifier):
    # A ColumnTransformer with one-hot columns returns a sparse matrix by
    # default; the network must see the same numbers as with dense output.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"colour": rng.choice(list("abcdefgh"), 200), "size": rng.normal(size=200)}
    )
    y = frame["colour"].isin(list("abc")).to_numpy() ^ (frame["size"] > 1)

    def pipeline(sparse_output):
        encode = make_column_transformer(
            (OneHotEncoder(sparse_output=sparse_output), ["colour"]),
            remainder="passthrough",
        )
        return make_pipeline(encode, make_classifier(epochs=3)).fit(frame, y)

    sparse, dense = pipeline(True), pipeline(False)
    assert sp.issparse(sparse[:-1].transform(frame))
    np.testing.assert_array_equal(
        sparse.predict_proba(frame), dense.predict_proba(frame)
    )
