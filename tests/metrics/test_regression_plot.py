"""RegressionCalibrationDisplay, drawn with the Agg backend."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import RegressionCalibrationDisplay
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
