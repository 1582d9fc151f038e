"""RegressionCalibrationDisplay, drawn with the Agg backend."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import RegressionCalibrationDisplay
from sk_mcdropout._compat import InvalidParameterError
from sk_mcdropout.metrics import miscalibration_area, regression_calibration_curve

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def gaussian():
    y = np.random.default_rng(0).standard_normal(500)
    return y, np.zeros_like(y), np.ones_like(y)


@pytest.mark.parametrize("kind", ["interval", "quantile"])
def test_from_predictions_draws_the_curve(gaussian, kind):
    y, mean, std = gaussian
    disp = RegressionCalibrationDisplay.from_predictions(
        y, mean, 0.7 * std, n_levels=21, kind=kind, name="model", color="tab:red"
    )
    expected, observed = regression_calibration_curve(
        y, mean, 0.7 * std, n_levels=21, kind=kind
    )
    assert_allclose(disp.expected, expected)
    assert_allclose(disp.observed, observed)
    assert_allclose(np.column_stack(disp.line_.get_data()), np.c_[expected, observed])
    area = miscalibration_area(y, mean, 0.7 * std, n_levels=21, kind=kind)
    assert disp.miscalibration_area == pytest.approx(area)
    assert disp.line_.get_label() == f"model (area = {area:.3g})"
    assert disp.line_.get_color() == "tab:red"
    assert "level" in disp.ax_.get_xlabel()
    assert disp.figure_ is disp.ax_.figure


def test_several_models_on_one_axes(gaussian):
    y, mean, std = gaussian
    X = np.c_[y + np.random.default_rng(1).standard_normal(len(y))]
    first = RegressionCalibrationDisplay.from_estimator(
        make_pipeline(StandardScaler(), BayesianRidge()).fit(X, y), X, y
    )
    second = RegressionCalibrationDisplay.from_predictions(
        y, mean, 0.3 * std, name="overconfident", ax=first.ax_, ref_line=True
    )
    assert second.ax_ is first.ax_
    labels = [t.get_text() for t in first.ax_.get_legend().get_texts()]
    # One reference line, then one curve per model; the pipeline is named by
    # its final step.
    assert labels[0] == "Perfectly calibrated"
    assert labels[1].startswith("BayesianRidge (area = ")
    assert labels[2].startswith("overconfident (area = ")
    assert len(first.ax_.get_lines()) == 3
    # Too narrow intervals: observed coverage below expected.
    assert (second.observed[1:-1] < second.expected[1:-1]).all()


def test_plot_again_and_errors(gaussian):
    y, mean, std = gaussian
    disp = RegressionCalibrationDisplay.from_predictions(y, mean, std)
    assert disp.line_.get_label().startswith("(area = ")
    fig, ax = plt.subplots()
    disp.plot(ax=ax, name="again", ref_line=False)
    assert disp.ax_ is ax and len(ax.get_lines()) == 1
    with pytest.raises(ValueError, match="y_std must be positive"):
        RegressionCalibrationDisplay.from_predictions(y, mean, 0 * std)
    with pytest.raises(ValueError, match="'kind' parameter"):
        RegressionCalibrationDisplay.from_predictions(y, mean, std, kind="cdf")


@pytest.mark.parametrize("kind", ["interval", "quantile"])
def test_from_estimator_passes_kind_levels_and_weights(gaussian, kind):
    y, _, _ = gaussian
    X = np.c_[y + np.random.default_rng(2).standard_normal(len(y))]
    model = BayesianRidge().fit(X, y)
    weights = np.random.default_rng(3).uniform(0, 2, size=len(y))
    disp = RegressionCalibrationDisplay.from_estimator(
        model, X, y, kind=kind, n_levels=7, sample_weight=weights
    )
    mean, std = model.predict(X, return_std=True)
    expected, observed = regression_calibration_curve(
        y, mean, std, n_levels=7, kind=kind, sample_weight=weights
    )
    assert_allclose(disp.expected, expected)
    assert_allclose(disp.observed, observed)
    assert disp.kind == kind
    assert disp.miscalibration_area == pytest.approx(
        miscalibration_area(y, mean, std, n_levels=7, kind=kind, sample_weight=weights)
    )
    unweighted = RegressionCalibrationDisplay.from_estimator(
        model, X, y, kind=kind, n_levels=7
    )
    assert not np.allclose(unweighted.observed, disp.observed)
    what = "central interval" if kind == "interval" else "quantile"
    assert disp.ax_.get_xlabel() == f"Expected frequency ({what} level)"


def test_display_parameters_are_validated(gaussian):
    y, mean, std = gaussian
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'n_levels' parameter of "
        r"RegressionCalibrationDisplay.from_predictions must be an int in the "
        r"range \[2, inf\). Got 1 instead.$",
    ):
        RegressionCalibrationDisplay.from_predictions(y, mean, std, n_levels=1)
    model = BayesianRidge().fit(np.c_[y], y)
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'kind' parameter of RegressionCalibrationDisplay.from_estimator"
        r" must be a str among .*. Got 'cdf' instead.$",
    ):
        RegressionCalibrationDisplay.from_estimator(model, np.c_[y], y, kind="cdf")
