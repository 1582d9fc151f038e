"""MCDropoutClassifier with MAPIE (>= 1.0): conformal sets and risk control."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout.uncertainty import mutual_information

pytest.importorskip("mapie")
from mapie.classification import SplitConformalClassifier  # noqa: E402
from mapie.risk_control import BinaryClassificationController, BinaryRisk  # noqa: E402


@pytest.fixture(scope="module")
def splits():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.6, stratify=y, random_state=0
    )
    X_cal, X_test, y_cal, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
    )
    return X_train, X_cal, X_test, y_train, y_cal, y_test


@pytest.fixture(scope="module")
def mapie_clf(splits, make_classifier):
    """Trained on the first split only: calibration and test rows stay unseen."""
    X_train, _, _, y_train, _, _ = splits
    return make_classifier(hidden_layer_sizes=(8,), epochs=5).fit(X_train, y_train)


def test_split_conformal_classifier_with_prefit_mc_dropout(splits, mapie_clf):
    _, X_cal, X_test, _, y_cal, y_test = splits
    conformal = SplitConformalClassifier(
        estimator=mapie_clf, confidence_level=0.9, conformity_score="lac", prefit=True
    ).conformalize(X_cal, y_cal)
    # LAC scores are one minus the MC-averaged probability of the true class.
    proba_cal = mapie_clf.predict_proba(X_cal)
    assert_allclose(
        conformal.conformity_scores.ravel(),
        1 - proba_cal[np.arange(len(y_cal)), y_cal],
        atol=1e-6,
    )
    y_pred, y_sets = conformal.predict_set(X_test)
    assert_array_equal(y_pred, mapie_clf.predict(X_test))
    assert y_sets.shape == (len(y_test), 2, 1)
    covered = y_sets[np.arange(len(y_test)), y_test, 0]
    assert covered.mean() >= 0.85  # 0.9 on average over calibration draws


def selective_error():
    """Error rate among the rows that were not abstained on (NaN)."""
    return BinaryRisk(
        risk_occurrence=lambda y_true, y_pred: y_pred != y_true,
        risk_condition=lambda y_true, y_pred: y_pred == y_pred,
        higher_is_better=False,
    )


def test_binary_controller_abstains_on_mutual_information(splits, mapie_clf):
    X_train, X_cal, X_test, _, y_cal, y_test = splits

    def predict_or_abstain(X, max_mutual_information):
        """Predicted class, or NaN (abstain) when the MC passes disagree."""
        passes = mapie_clf.predict_proba_samples(X)
        y_pred = passes.mean(axis=0).argmax(axis=1).astype(float)
        y_pred[mutual_information(passes) > max_mutual_information] = np.nan
        return y_pred

    # The thresholds come from the training rows, not from the calibration
    # rows, so that the risk-control guarantee holds.
    grid = np.quantile(
        mutual_information(mapie_clf.predict_proba_samples(X_train)),
        np.linspace(0.3, 1.0, 15),
    )[:, np.newaxis]
    target = 0.1
    controller = BinaryClassificationController(
        predict_function=predict_or_abstain,
        risk=selective_error(),
        target_level=target,
        confidence_level=0.9,
        best_predict_param_choice="abstention_rate",
        list_predict_params=grid,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "no valid threshold" would be a warning
        controller.calibrate(X_cal, y_cal)
    (threshold,) = controller.best_predict_param
    assert 0 < controller.valid_predict_params.size < grid.size

    y_pred = controller.predict(X_test)
    abstained = np.isnan(y_pred)
    passes = mapie_clf.predict_proba_samples(X_test)
    assert_array_equal(abstained, mutual_information(passes) > threshold)
    assert_array_equal(y_pred[~abstained], mapie_clf.predict(X_test)[~abstained])
    cal_pred = predict_or_abstain(X_cal, threshold)
    accepted = ~np.isnan(cal_pred)
    assert (cal_pred[accepted] != y_cal[accepted]).mean() <= target
