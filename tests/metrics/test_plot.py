"""RejectionCurveDisplay, drawn with the Agg backend."""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

import sk_mcdropout
from sk_mcdropout import RejectionCurveDisplay
from sk_mcdropout._compat import InvalidParameterError
from sk_mcdropout.metrics import aurc, risk_coverage_curve
from sk_mcdropout.uncertainty import mutual_information

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_from_predictions_plots_the_curve():
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0, 1, 0, 0, 0])
    uncertainty = np.array([0.1, 0.3, 0.3, 0.5, 0.9])
    disp = RejectionCurveDisplay.from_predictions(
        y_true, y_pred, uncertainty, name="toy", color="tab:red"
    )
    coverage, risk, _ = risk_coverage_curve(y_true, y_pred, uncertainty)
    assert_allclose(disp.coverage, coverage)
    assert_allclose(disp.selective_risk, risk)
    x, y = disp.line_.get_data()
    assert_allclose(x, [0, *coverage])  # the first risk holds from coverage 0
    assert_allclose(y, [risk[0], *risk])
    assert disp.aurc == pytest.approx(aurc(y_true, y_pred, uncertainty))
    assert disp.line_.get_label() == f"toy (AURC = {disp.aurc:.3g})"
    assert disp.line_.get_color() == "tab:red"
    assert disp.line_.get_drawstyle() == "steps-pre"
    assert disp.ax_.get_xlabel().startswith("Coverage")
    assert disp.figure_ is disp.ax_.figure


def test_overlay_measures_on_one_axes(cancer, mc_clf):
    _, X_test, _, y_test = cancer
    first = RejectionCurveDisplay.from_estimator(mc_clf, X_test, y_test)
    for measure in ("predictive_entropy", "mutual_information"):
        disp = RejectionCurveDisplay.from_estimator(
            mc_clf, X_test, y_test, measure=measure, ax=first.ax_
        )
        assert disp.ax_ is first.ax_
    labels = [t.get_text() for t in first.ax_.get_legend().get_texts()]
    assert len(first.ax_.lines) == 3
    assert [label.split(" (")[0] for label in labels] == [
        "max_probability",
        "predictive_entropy",
        "mutual_information",
    ]
    # from_estimator uses the labels and the uncertainty of the same passes.
    samples = mc_clf.predict_proba_samples(X_test)
    expected = aurc(y_test, mc_clf.predict(X_test), mutual_information(samples))
    assert disp.aurc == pytest.approx(expected)


def test_from_estimator_any_classifier_and_errors(cancer):
    X_train, X_test, y_train, y_test = cancer
    clf = LogisticRegression().fit(X_train, y_train)
    disp = RejectionCurveDisplay.from_estimator(clf, X_test, y_test, name="logreg")
    assert disp.line_.get_label().startswith("logreg (AURC = ")
    with pytest.raises(ValueError, match="predict_proba_samples"):
        RejectionCurveDisplay.from_estimator(
            clf, X_test, y_test, measure="variation_ratio"
        )


def test_plot_without_name_or_aurc_has_no_legend():
    disp = RejectionCurveDisplay([0.5, 1.0], [0.0, 0.5]).plot()
    assert disp.ax_.get_legend() is None
    disp.plot(ax=disp.ax_, name="again")
    assert disp.ax_.get_legend().get_texts()[0].get_text() == "again"


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        RejectionCurveDisplay.from_predictions([0, 1], [0, 0], [0.1, 0.2])


def test_matplotlib_is_imported_only_to_plot():
    # TensorFlow itself imports matplotlib when it is installed, so
    # sys.modules cannot tell; check that no module of ours imports it at
    # module level.
    package = Path(sk_mcdropout.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "matplotlib" for n in names), path


def test_sample_weight_weights_the_curve_and_its_area():
    y_true = np.array([0, 1, 1, 0, 1, 0])
    y_pred = np.array([0, 1, 0, 0, 0, 1])
    uncertainty = np.array([0.1, 0.2, 0.2, 0.5, 0.7, 0.9])
    weights = np.array([1.0, 2.0, 0.0, 1.0, 3.0, 0.5])
    disp = RejectionCurveDisplay.from_predictions(
        y_true, y_pred, uncertainty, sample_weight=weights
    )
    coverage, risk, _ = risk_coverage_curve(
        y_true, y_pred, uncertainty, sample_weight=weights
    )
    assert_allclose(disp.coverage, coverage)
    assert_allclose(disp.selective_risk, risk)
    assert disp.aurc == aurc(y_true, y_pred, uncertainty, sample_weight=weights)
    # The zero-weight error at 0.2 changes nothing: risk 0 up to 3 / 7.5.
    assert_allclose(coverage[:2], [1 / 7.5, 3 / 7.5])
    assert_allclose(risk[:2], [0.0, 0.0])


def test_display_parameters_are_validated(cancer):
    X_train, X_test, y_train, y_test = cancer
    clf = LogisticRegression().fit(X_train, y_train)
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'measure' parameter of RejectionCurveDisplay.from_estimator "
        r"must be a str among .* or None. Got 'std' instead.$",
    ):
        RejectionCurveDisplay.from_estimator(clf, X_test, y_test, measure="std")
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'name' parameter of RejectionCurveDisplay.from_predictions "
        r"must be an instance of 'str' or None. Got 3 instead.$",
    ):
        RejectionCurveDisplay.from_predictions([0, 1], [0, 0], [0.1, 0.2], name=3)
