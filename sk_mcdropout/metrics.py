"""Selective-classification and calibration metrics.

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
coverage targets are met even for a measure with many ties.

Where scikit-learn already has a metric, use it: :func:`sklearn.metrics.log_loss`,
:func:`sklearn.metrics.brier_score_loss` and
:func:`sklearn.calibration.calibration_curve` apply unchanged to
``predict_proba`` of an MC dropout classifier.

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

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import assert_all_finite

from .uncertainty import _check_proba

__all__ = [
    "accuracy_rejection_curve",
    "aurc",
    "coverage_at_risk",
    "expected_calibration_error",
    "risk_coverage_curve",
    "selective_risk_at_coverage",
]

# A coverage given as a decimal (0.9) must be reached by 9 accepted rows out
# of 10 even though 9 / 10 is not exactly 0.9 in every float computation.
_COVERAGE_RTOL = 1e-9


def _check_sample_weight(sample_weight, n_rows):
    if sample_weight is None:
        return np.ones(n_rows)
    sample_weight = column_or_1d(sample_weight).astype(np.float64)
    check_consistent_length(sample_weight, np.empty(n_rows))
    assert_all_finite(sample_weight, input_name="sample_weight")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if sample_weight.sum() <= 0:
        raise ValueError(
            "All sample weights are zero; sample_weight must have a positive sum."
        )
    return sample_weight


def _check_labels(*labels, names):
    """Refuse NaN, continuous values and a mix of strings and numbers.

    Comparing the string "1" with the number 1 is never equal, so such a mix
    would silently count every row as an error.
    """
    for name, values in zip(names, labels, strict=True):
        values = np.asarray(values)
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ValueError(f"Input {name} contains NaN.")
    try:
        unique_labels(*labels)
    except ValueError as error:
        raise ValueError(
            f"{' and '.join(names)} must hold class labels of one kind, without "
            f"NaN: {error}"
        ) from None


def _check_selective_inputs(y_true, y_pred, uncertainty, sample_weight):
    """Validate inputs and return (errors, uncertainty, sample_weight)."""
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0]:
        _check_labels(y_true, y_pred, names=("y_true", "y_pred"))
    uncertainty = column_or_1d(uncertainty)
    check_consistent_length(y_true, y_pred, uncertainty)
    if y_true.shape[0] == 0:
        raise ValueError("Found empty input: y_true has 0 rows.")
    if uncertainty.dtype.kind not in "biuf":
        raise ValueError(f"uncertainty must be numeric, got dtype {uncertainty.dtype}.")
    uncertainty = uncertainty.astype(np.float64)
    assert_all_finite(uncertainty, input_name="uncertainty")
    errors = np.asarray(y_true != y_pred)
    if errors.shape != y_true.shape:
        raise ValueError(
            "y_true and y_pred could not be compared element-wise; make sure "
            "they hold labels of the same kind."
        )
    sample_weight = _check_sample_weight(sample_weight, y_true.shape[0])
    return errors.astype(np.float64), uncertainty, sample_weight


def _curve(errors, uncertainty, sample_weight):
    """Risk-coverage points at each distinct uncertainty, ascending."""
    order = np.argsort(uncertainty, kind="stable")
    uncertainty = uncertainty[order]
    weights = sample_weight[order]
    weighted_errors = (errors * sample_weight)[order]
    # Index of the last row of each group of equal uncertainty: the curve is
    # only evaluated after a whole group, which makes ties order-free.
    ends = np.r_[np.flatnonzero(np.diff(uncertainty)), uncertainty.size - 1]
    accepted = np.cumsum(weights)[ends]
    wrong = np.cumsum(weighted_errors)[ends]
    # A group of zero-weight rows accepts nothing: it is no point of the
    # curve, so zero weights are the same as removing the rows.
    keep = np.diff(accepted, prepend=0.0) > 0
    accepted, wrong, ends = accepted[keep], wrong[keep], ends[keep]
    coverage = accepted / accepted[-1]
    risk = wrong / accepted
    return coverage, risk, uncertainty[ends]


def risk_coverage_curve(y_true, y_pred, uncertainty, *, sample_weight=None):
    """Compute the risk-coverage curve of a selective classifier.

    Rows are accepted in order of increasing ``uncertainty``; after each
    distinct uncertainty value the curve records the coverage (fraction of
    rows accepted) and the selective risk (error rate among them). Rows with
    equal uncertainty are accepted together (see the module notes on ties).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_pred : array-like of shape (n_rows,)
        Predicted labels.

    uncertainty : array-like of shape (n_rows,)
        Uncertainty of each prediction; higher means less sure, so accepted
        later.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights; coverage and risk are then weighted fractions.

    Returns
    -------
    coverage : ndarray of shape (n_thresholds,)
        Increasing coverages in (0, 1]; the last one is 1.

    selective_risk : ndarray of shape (n_thresholds,)
        Error rate among the accepted rows at each coverage.

    thresholds : ndarray of shape (n_thresholds,)
        Increasing distinct uncertainty values (of rows with positive weight;
        zero-weight rows are as if removed): ``coverage[i]`` and
        ``selective_risk[i]`` are those of the rule "accept the rows whose
        uncertainty is at most ``thresholds[i]``".

    See Also
    --------
    aurc : Area under this curve.
    accuracy_rejection_curve : The same information as accuracy against
        rejection rate.

    Examples
    --------
    >>> from sk_mcdropout.metrics import risk_coverage_curve
    >>> y_true = [0, 1, 1, 0]
    >>> y_pred = [0, 1, 0, 1]
    >>> uncertainty = [0.1, 0.2, 0.3, 0.3]
    >>> coverage, risk, thresholds = risk_coverage_curve(y_true, y_pred, uncertainty)
    >>> coverage
    array([0.25, 0.5 , 1.  ])
    >>> risk
    array([0. , 0. , 0.5])
    >>> thresholds
    array([0.1, 0.2, 0.3])
    """
    errors, uncertainty, sample_weight = _check_selective_inputs(
        y_true, y_pred, uncertainty, sample_weight
    )
    return _curve(errors, uncertainty, sample_weight)


def aurc(y_true, y_pred, uncertainty, *, sample_weight=None):
    """Area under the risk-coverage curve (AURC); lower is better.

    The curve is integrated as a step function: each accepted row contributes
    its weight times the selective risk at the point where it is accepted.
    Without ties this is exactly the mean of the selective risks at coverages
    1/n, 2/n, ..., 1 of Geifman et al. [1]_; with ties, all rows of a tied
    group share the risk at the end of the group. The value is between 0 and
    1. It mixes the quality of the ranking with the error rate of the
    predictor, so it compares uncertainty measures fairly only for the same
    predictions ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_pred : array-like of shape (n_rows,)
        Predicted labels.

    uncertainty : array-like of shape (n_rows,)
        Uncertainty of each prediction; higher means less sure.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights.

    Returns
    -------
    aurc : float
        Area under the risk-coverage curve.

    References
    ----------
    .. [1] Y. Geifman, G. Uziel and R. El-Yaniv, "Bias-Reduced Uncertainty
       Estimation for Deep Neural Classifiers", ICLR 2019.

    Examples
    --------
    The one error is ranked last, so it counts only at full coverage:

    >>> from sk_mcdropout.metrics import aurc
    >>> aurc([0, 1, 1, 0], [0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4])
    0.0625
    >>> aurc([0, 1, 1, 0], [0, 1, 1, 1], [0.4, 0.2, 0.3, 0.1])  # ranked first
    0.5208...
    """
    coverage, risk, _ = risk_coverage_curve(
        y_true, y_pred, uncertainty, sample_weight=sample_weight
    )
    return _area(coverage, risk)


def _area(coverage, risk):
    """Step integral of a risk-coverage curve (risk held from the left)."""
    return float(np.sum(risk * np.diff(coverage, prepend=0.0)))


def _check_fraction(value, name, *, allow_zero):
    if not isinstance(value, Real) or isinstance(value, bool):
        raise ValueError(f"{name} must be a float, got {value!r}.")
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= 1):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}.")


def _index_at_coverage(coverage_curve, coverage):
    """First curve point whose coverage reaches ``coverage``."""
    return int(np.flatnonzero(coverage_curve >= coverage * (1 - _COVERAGE_RTOL))[0])


def _index_at_risk(coverage_curve, risk_curve, max_risk):
    """Curve point of largest coverage with risk <= max_risk, or None."""
    ok = np.flatnonzero(risk_curve <= max_risk)
    return int(ok[-1]) if ok.size else None


def selective_risk_at_coverage(
    y_true, y_pred, uncertainty, coverage, *, sample_weight=None
):
    """Selective risk when accepting a given fraction of the rows.

    The rows are accepted by increasing uncertainty until at least
    ``coverage`` of them are accepted; the error rate among them is returned.
    Tied rows are accepted together, so the coverage actually reached can
    exceed the one asked for (it is the first point of
    :func:`risk_coverage_curve` at or above ``coverage``).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_pred : array-like of shape (n_rows,)
        Predicted labels.

    uncertainty : array-like of shape (n_rows,)
        Uncertainty of each prediction; higher means less sure.

    coverage : float in (0, 1]
        Fraction of the rows to accept.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights.

    Returns
    -------
    selective_risk : float
        Error rate among the accepted rows.

    Examples
    --------
    >>> from sk_mcdropout.metrics import selective_risk_at_coverage
    >>> y_true = [0, 0, 1, 1, 0]
    >>> y_pred = [0, 0, 1, 0, 1]
    >>> uncertainty = [0.0, 0.1, 0.2, 0.3, 0.4]
    >>> selective_risk_at_coverage(y_true, y_pred, uncertainty, coverage=0.6)
    0.0
    >>> selective_risk_at_coverage(y_true, y_pred, uncertainty, coverage=0.8)
    0.25
    """
    _check_fraction(coverage, "coverage", allow_zero=False)
    cov, risk, _ = risk_coverage_curve(
        y_true, y_pred, uncertainty, sample_weight=sample_weight
    )
    return float(risk[_index_at_coverage(cov, coverage)])


def coverage_at_risk(y_true, y_pred, uncertainty, max_risk, *, sample_weight=None):
    """Largest coverage whose selective risk is at most ``max_risk``.

    Among the points of :func:`risk_coverage_curve` (accept the rows whose
    uncertainty is at most a threshold) those with a selective risk
    ``<= max_risk`` are kept and the largest coverage is returned; 0.0 if even
    the most certain group of rows has a higher error rate. The selective
    risk need not increase with coverage, so this is the largest feasible
    coverage, not the first crossing.

    This is an empirical quantity on the data given. Choosing a threshold this
    way on one sample and applying it to new data does not guarantee the risk
    on new data; for a guarantee, use
    ``RejectOptionClassifier(max_risk=..., confidence=...)``.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_pred : array-like of shape (n_rows,)
        Predicted labels.

    uncertainty : array-like of shape (n_rows,)
        Uncertainty of each prediction; higher means less sure.

    max_risk : float in [0, 1]
        Largest acceptable error rate among accepted rows.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights.

    Returns
    -------
    coverage : float
        Largest achievable coverage, in [0, 1].

    Examples
    --------
    >>> from sk_mcdropout.metrics import coverage_at_risk
    >>> y_true = [0, 0, 1, 1, 0]
    >>> y_pred = [0, 0, 1, 0, 1]
    >>> uncertainty = [0.0, 0.1, 0.2, 0.3, 0.4]
    >>> coverage_at_risk(y_true, y_pred, uncertainty, max_risk=0.25)
    0.8
    >>> coverage_at_risk(y_true, y_pred, uncertainty, max_risk=0.0)
    0.6
    """
    _check_fraction(max_risk, "max_risk", allow_zero=True)
    cov, risk, _ = risk_coverage_curve(
        y_true, y_pred, uncertainty, sample_weight=sample_weight
    )
    idx = _index_at_risk(cov, risk, max_risk)
    return 0.0 if idx is None else float(cov[idx])


def accuracy_rejection_curve(y_true, y_pred, uncertainty, *, sample_weight=None):
    """Compute the accuracy-rejection curve.

    The accuracy of the accepted rows as a function of the fraction of rows
    rejected, the most uncertain first [1]_. It is the risk-coverage curve
    read from the other end: ``rejection_rate = 1 - coverage`` and
    ``accuracy = 1 - selective_risk``, with the same treatment of ties. The
    point where everything is rejected is not included (its accuracy is
    undefined).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_pred : array-like of shape (n_rows,)
        Predicted labels.

    uncertainty : array-like of shape (n_rows,)
        Uncertainty of each prediction; higher means less sure, so rejected
        first.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights.

    Returns
    -------
    rejection_rate : ndarray of shape (n_thresholds,)
        Increasing rejection rates in [0, 1); the first one is 0.

    accuracy : ndarray of shape (n_thresholds,)
        Accuracy among the accepted rows.

    thresholds : ndarray of shape (n_thresholds,)
        Decreasing uncertainty thresholds: the rows whose uncertainty is at
        most ``thresholds[i]`` are accepted.

    References
    ----------
    .. [1] M. S. A. Nadeem, J.-D. Zucker and B. Hanczar, "Accuracy-Rejection
       Curves (ARCs) for Comparing Classification Methods with a Reject
       Option", MLSB 2009.

    Examples
    --------
    >>> from sk_mcdropout.metrics import accuracy_rejection_curve
    >>> rejection, accuracy, _ = accuracy_rejection_curve(
    ...     [0, 1, 1, 0], [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4])
    >>> rejection
    array([0.  , 0.25, 0.5 , 0.75])
    >>> accuracy
    array([0.5       , 0.66666667, 1.        , 1.        ])
    """
    cov, risk, thresholds = risk_coverage_curve(
        y_true, y_pred, uncertainty, sample_weight=sample_weight
    )
    return 1.0 - cov[::-1], 1.0 - risk[::-1], thresholds[::-1]


def expected_calibration_error(
    y_true, y_proba, *, n_bins=15, labels=None, sample_weight=None
):
    """Expected calibration error (ECE) of the top-label confidence.

    Binning: the confidence of a row is its largest predicted probability
    (the probability of the predicted class). Confidences are put in
    ``n_bins`` equal-width bins over [0, 1], right-closed (the first bin also
    holds 0), the same bins as ``calibration_curve(strategy="uniform")``.
    The ECE is the mean over bins of ``|accuracy - mean confidence|``,
    weighted by the fraction of rows in each bin [1]_; empty bins count zero.
    With 15 bins this is the usual ECE of the deep-learning literature.

    The value depends on ``n_bins`` and is biased upwards for small samples;
    compare models with the same binning and data. For a proper scoring rule,
    use :func:`sklearn.metrics.log_loss` or
    :func:`sklearn.metrics.brier_score_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True labels.

    y_proba : array-like of shape (n_rows, n_classes) or (n_rows,)
        Predicted probabilities, columns ordered as ``labels``. A 1-D array
        is the probability of the greater label of a binary problem, as in
        :func:`sklearn.metrics.log_loss`.

    n_bins : int, default=15
        Number of equal-width confidence bins.

    labels : array-like of shape (n_classes,), default=None
        The labels of the columns of ``y_proba``, sorted as the estimator's
        ``classes_``. If None, the sorted unique values of ``y_true``, which
        must then contain every class.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights.

    Returns
    -------
    ece : float
        Expected calibration error, in [0, 1].

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", ICML 2017.

    Examples
    --------
    Five rows predicted with confidence 0.8, of which four are right, are
    perfectly calibrated; if all five are right, the ECE is 0.2 (``labels``
    is needed there: ``y_true`` alone no longer shows that there are two
    classes):

    >>> import numpy as np
    >>> from sk_mcdropout.metrics import expected_calibration_error
    >>> y_proba = np.array([[0.8, 0.2]] * 5)
    >>> round(expected_calibration_error([0, 0, 0, 0, 1], y_proba), 6)
    0.0
    >>> round(expected_calibration_error([0, 0, 0, 0, 0], y_proba, labels=[0, 1]), 6)
    0.2
    """
    if not isinstance(n_bins, Integral) or isinstance(n_bins, bool) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    y_true = column_or_1d(y_true)
    y_proba = np.asarray(y_proba)
    if y_proba.ndim == 1:
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    if y_proba.ndim != 2:
        raise ValueError(
            "Expected a 1-D or 2-D array of shape (n_rows,) or (n_rows, n_classes) "
            f"for y_proba, got shape {y_proba.shape}."
        )
    check_consistent_length(y_true, y_proba)
    if y_true.shape[0] == 0:
        raise ValueError("Found empty input: y_true has 0 rows.")
    # Rows must be probability vectors (in [0, 1], summing to one), as the
    # uncertainty functions require: the top value of any other row is no
    # confidence.
    y_proba = _check_proba(y_proba, name="y_proba", allow_2d=True)
    if labels is None:
        _check_labels(y_true, names=("y_true",))
        labels = np.unique(y_true)
    else:
        labels = column_or_1d(labels)
        _check_labels(y_true, labels, names=("y_true", "labels"))
        unknown = np.setdiff1d(y_true, labels)
        if unknown.size:
            raise ValueError(
                f"y_true contains values {unknown[:5].tolist()} that are not in "
                f"labels {labels.tolist()}."
            )
    if labels.shape[0] != y_proba.shape[1]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are "
            f"{labels.shape[0]} labels ({labels!r}); pass labels= with one "
            "label per column."
        )
    sample_weight = _check_sample_weight(sample_weight, y_true.shape[0])

    confidence = y_proba.max(axis=1)
    correct = (labels[y_proba.argmax(axis=1)] == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Same bin assignment as sklearn.calibration.calibration_curve.
    bin_ids = np.searchsorted(edges[1:-1], confidence)
    weight = np.bincount(bin_ids, weights=sample_weight, minlength=n_bins)
    conf_sum = np.bincount(
        bin_ids, weights=sample_weight * confidence, minlength=n_bins
    )
    correct_sum = np.bincount(
        bin_ids, weights=sample_weight * correct, minlength=n_bins
    )
    gaps = np.abs(correct_sum - conf_sum)  # = weight * |accuracy - confidence|
    return float(gaps.sum() / weight.sum())


# Regression: metrics of a Gaussian predictive (mean, std), in their own module.
from ._regression_metrics import (  # noqa: E402
    crps_gaussian,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
    miscalibration_area,
    neg_gaussian_nll_scorer,
    regression_calibration_curve,
    sharpness,
)

__all__ += [
    "crps_gaussian",
    "gaussian_nll",
    "interval_coverage",
    "mean_interval_width",
    "miscalibration_area",
    "neg_gaussian_nll_scorer",
    "regression_calibration_curve",
    "sharpness",
]
