"""Selective-classification metrics: coverage against selective risk.

Rows are accepted in order of increasing uncertainty; rows with exactly equal
uncertainty are accepted or rejected together (see the package docstring).
"""

from numbers import Real

import numpy as np
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.validation import assert_all_finite

from .._validation import check_labels, check_sample_weight

__all__ = [
    "accuracy_rejection_curve",
    "aurc",
    "coverage_at_risk",
    "risk_coverage_curve",
    "selective_risk_at_coverage",
]

# A coverage given as a decimal (0.9) must be reached by 9 accepted rows out
# of 10 even though 9 / 10 is not exactly 0.9 in every float computation.
_COVERAGE_RTOL = 1e-9


def _check_selective_inputs(y_true, y_pred, uncertainty, sample_weight):
    """Validate inputs and return (errors, uncertainty, sample_weight)."""
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0]:
        check_labels(y_true, y_pred, names=("y_true", "y_pred"))
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
    sample_weight = check_sample_weight(sample_weight, y_true.shape[0])
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
