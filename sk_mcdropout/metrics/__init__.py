"""Metrics of uncertain predictions: selective classification, calibration and
Gaussian predictive distributions, with their Displays.

A selective classifier answers only on the rows it is sure about and sends the
others to a human. Given the labels it would predict and an uncertainty score
per row (higher = less sure, e.g. from :mod:`sk_mcdropout.uncertainty`), the
functions here describe the trade-off between

- **coverage**: the fraction of rows that are accepted (answered), and
- **selective risk**: the error rate (0-1 loss) among the accepted rows.

Rows are accepted in order of increasing uncertainty. **Ties**: rows with
exactly equal uncertainty are accepted or rejected together, never split, so
every result here is a deterministic function of the inputs and does not
depend on the order of the rows. The curves therefore have one point per
distinct uncertainty value (like :func:`sklearn.metrics.roc_curve` has one per
distinct score), and a coverage that falls inside a group of tied rows is
reached only at the end of that group. A rejection rule "accept the rows whose
uncertainty is at most ``t``" realises exactly the points of these curves.
:class:`~sk_mcdropout.RejectOptionClassifier` goes one step further: it
breaks ties in the measure with a second, continuous score, so that its
coverage targets are met even for a measure with many ties; only rows tied in
both are then grouped. It reads the same curve, and
:meth:`RejectionCurveDisplay.from_estimator` of a fitted reject option draws
that curve (its measure, tie-breaker and loss) with the point its threshold
reaches.

Where scikit-learn already has a metric, use it: :func:`sklearn.metrics.log_loss`,
:func:`sklearn.metrics.brier_score_loss` and
:func:`sklearn.calibration.calibration_curve` apply unchanged to
``predict_proba`` of an MC dropout classifier.

Regression metrics score a Gaussian predictive distribution
``N(y_mean, y_std**2)``: :func:`gaussian_nll`, :func:`crps_gaussian`,
:func:`interval_coverage`, :func:`mean_interval_width`, :func:`sharpness`,
:func:`regression_calibration_curve` and :func:`miscalibration_area`.

References
----------
.. [1] R. El-Yaniv and Y. Wiener, "On the Foundations of Noise-free Selective
   Classification", JMLR 2010 (risk-coverage curve).
.. [2] Y. Geifman, G. Uziel and R. El-Yaniv, "Bias-Reduced Uncertainty
   Estimation for Deep Neural Classifiers", ICLR 2019 (AURC).
.. [3] M. S. A. Nadeem, J.-D. Zucker and B. Hanczar, "Accuracy-Rejection
   Curves (ARCs) for Comparing Classification Methods with a Reject Option",
   MLSB 2009.
.. [4] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
   Modern Neural Networks", ICML 2017 (expected calibration error).

"""

from ._calibration import expected_calibration_error
from ._plot import RegressionCalibrationDisplay, RejectionCurveDisplay
from ._regression import (
    crps_gaussian,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
    miscalibration_area,
    neg_gaussian_nll_scorer,
    regression_calibration_curve,
    sharpness,
)
from ._selective import (
    accuracy_rejection_curve,
    aurc,
    coverage_at_risk,
    risk_coverage_curve,
    selective_risk_at_coverage,
)

__all__ = [
    "RegressionCalibrationDisplay",
    "RejectionCurveDisplay",
    "accuracy_rejection_curve",
    "aurc",
    "coverage_at_risk",
    "crps_gaussian",
    "expected_calibration_error",
    "gaussian_nll",
    "interval_coverage",
    "mean_interval_width",
    "miscalibration_area",
    "neg_gaussian_nll_scorer",
    "regression_calibration_curve",
    "risk_coverage_curve",
    "selective_risk_at_coverage",
    "sharpness",
]
