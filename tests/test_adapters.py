"""PredictiveStd: a fitted regressor's predictive std as a regressor."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from sk_mcdropout import PredictiveStd


def _frame(n, seed):
    """A DataFrame with a categorical column; the noise depends on it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    group = rng.choice(["calm", "noisy"], n)
    noise = np.where(group == "noisy", 0.6, 0.1)
    y = np.sin(x) + noise * rng.standard_normal(n)
    return pd.DataFrame({"x": x, "group": group}), y


def _pipeline(regressor):
    columns = ColumnTransformer(
        [("group", OneHotEncoder(), ["group"]), ("x", StandardScaler(), ["x"])]
    )
    return make_pipeline(columns, regressor)


def test_predict_is_the_estimators_std():
    X = np.linspace(0, 3, 20)[:, None]
    reg = BayesianRidge().fit(X, 2 * X[:, 0])
    X_new = np.array([[1.5], [10.0]])
    assert_array_equal(
        PredictiveStd(reg).predict(X_new), reg.predict(X_new, return_std=True)[1]
    )


def test_dataframe_pipeline_passes_feature_names_through(make_regressor):
    X, y = _frame(200, 0)
    pipeline = _pipeline(make_regressor(noise="heteroscedastic")).fit(X, y)
    std = PredictiveStd(pipeline).fit()
    assert std.n_features_in_ == 2
    assert_array_equal(std.feature_names_in_, ["x", "group"])
    assert_array_equal(std.predict(X), pipeline.predict(X, return_std=True)[1])
    with pytest.raises(ValueError, match="columns are missing"):
        std.predict(X[["x"]])


def test_already_fitted_and_cloned_as_itself():
    reg = BayesianRidge().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
    std = PredictiveStd(reg)
    check_is_fitted(std)
    assert clone(std) is std
    assert std.fit() is std


def test_unfitted_estimator_is_refused():
    std = PredictiveStd(BayesianRidge())
    with pytest.raises(NotFittedError):
        check_is_fitted(std)
    with pytest.raises(NotFittedError):
        std.predict([[0.0]])


def test_regressor_without_return_std_is_refused():
    reg = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="predict accepts return_std=True"):
        PredictiveStd(reg).predict([[0.5]])


def test_mapie_normalised_intervals_on_a_dataframe_pipeline(make_regressor):
    regression = pytest.importorskip("mapie.regression")
    scores = pytest.importorskip("mapie.conformity_scores")
    (X_train, y_train), (X_cal, y_cal), (X_test, y_test) = (
        _frame(n, seed) for n, seed in ((400, 0), (400, 1), (2000, 2))
    )
    pipeline = _pipeline(
        make_regressor(noise="heteroscedastic", epochs=30, hidden_layer_sizes=(32,))
    ).fit(X_train, y_train)
    residual_estimator = make_pipeline(pipeline[:-1], PredictiveStd(pipeline[-1]))
    conformal = regression.SplitConformalRegressor(
        pipeline,
        confidence_level=0.9,
        conformity_score=scores.ResidualNormalisedScore(
            residual_estimator=residual_estimator, prefit=True
        ),
        prefit=True,
    ).conformalize(X_cal, y_cal)
    _, intervals = conformal.predict_interval(X_test)
    low, high = intervals[:, 0, 0], intervals[:, 1, 0]
    # Coverage over 400 calibration and 2,000 test rows: std about 0.016.
    assert abs(np.mean((y_test >= low) & (y_test <= high)) - 0.9) < 0.04
    # Normalised by the model's std: the half-width is one multiple of it.
    std = pipeline.predict(X_test, return_std=True)[1]
    half_width = (high - low) / 2
    assert_allclose(half_width / std, np.median(half_width / std), rtol=1e-5)
    noisy = X_test["group"].to_numpy() == "noisy"
    assert half_width[noisy].mean() > 2 * half_width[~noisy].mean()
