"""Selective-classification metrics: coverage against selective risk.

Rows are accepted in order of increasing uncertainty; rows with exactly equal
uncertainty are accepted or rejected together (see the package docstring).
:func:`selective_curve` is the one risk-coverage curve of the library: the
metrics here, :class:`~sk_mcdropout.metrics.RejectionCurveDisplay` and the
threshold selection of the reject options all read it.
"""

from numbers import Real
from typing import NamedTuple

import numpy as np

from .._compat import Interval, validate_params
from .._docstrings import Substitution
from .._validation import check_selective_inputs
from ._docstrings import SELECTIVE

__all__ = [
    "accuracy_rejection_curve",
    "aurc",
    "coverage_at_risk",
    "risk_coverage_curve",
    "selective_risk_at_coverage",
]

# A coverage given as a decimal (0.9) must be reached by 9 accepted rows out
# of 10 even though 9 / 10 is not exactly 0.9 in every float computation.
COVERAGE_RTOL = 1e-9


class SelectiveCurve(NamedTuple):
    """The points of a risk-coverage curve, one per group of tied rows."""

    coverage: np.ndarray  # accepted weight over the weight of all rows
    risk: np.ndarray  # weighted mean loss of the accepted rows
    count: np.ndarray  # number of accepted rows, unweighted (for the bounds)
    loss_count: np.ndarray  # unweighted sum of their losses
    threshold: np.ndarray  # the primary score of the last group accepted
    tiebreak: np.ndarray  # and its secondary score


def selective_curve(losses, primary, secondary=None, weights=None, passed=None):
    """Risk-coverage points of the rule "accept the rows ranked at most (t, s)".

    Rows are ranked by ``primary``, ties broken by ``secondary``
    (lexicographically); a rule "accept a row when its pair is at most
    ``(t, s)``" realises exactly the points at the ends of groups of rows with
    equal pairs, so rows tied in both scores are accepted or rejected
    together, whatever their order. A group of zero-weight rows accepts
    nothing and is no point. ``passed`` marks the rows another rule lets
    through (the novelty guard): the curve runs over them, its coverage still
    a fraction of the weight of all rows.

    Parameters
    ----------
    losses, primary : ndarray of shape (n_rows,)
        Per-row loss (an error is 1) and the score ranked by, float64.
    secondary : ndarray of shape (n_rows,), default=None
        Breaks ties in ``primary``; None ranks by ``primary`` alone.
    weights : ndarray of shape (n_rows,), default=None
        Non-negative row weights with a positive sum; None weighs rows alike.
    passed : ndarray of shape (n_rows,), dtype=bool, default=None
        Rows that may be accepted; None for all.

    Returns
    -------
    curve : SelectiveCurve
        Arrays of one value per point, by increasing coverage.
    """
    if secondary is None:
        secondary = np.zeros_like(primary)
    weights = np.ones(primary.shape) if weights is None else weights
    # Without a guard the last point is all the weight, exactly 1.
    total = None if passed is None else weights.sum()
    if passed is not None:
        losses, primary = losses[passed], primary[passed]
        secondary, weights = secondary[passed], weights[passed]
    order = np.lexsort((secondary, primary))
    primary, secondary = primary[order], secondary[order]
    weights, losses = weights[order], losses[order]
    # The last row of each group of rows with an equal pair.
    last = np.ones(primary.size, dtype=bool)
    last[:-1] = (primary[1:] != primary[:-1]) | (secondary[1:] != secondary[:-1])
    ends = np.flatnonzero(last)
    accepted = np.cumsum(weights)[ends]
    loss = np.cumsum(weights * losses)[ends]
    # A group of zero-weight rows accepts nothing: it is no point, so zero
    # weights are the same as removing the rows.
    keep = np.diff(accepted, prepend=0.0) > 0
    ends, accepted, loss = ends[keep], accepted[keep], loss[keep]
    return SelectiveCurve(
        coverage=accepted / (accepted[-1] if total is None else total),
        risk=loss / accepted,
        count=(ends + 1).astype(np.float64),
        loss_count=np.cumsum(losses)[ends],
        threshold=primary[ends],
        tiebreak=secondary[ends],
    )


def index_at_coverage(coverage_curve, coverage):
    """First point whose coverage reaches ``coverage``; else the last point."""
    reached = np.flatnonzero(coverage_curve >= coverage * (1 - COVERAGE_RTOL))
    return int(reached[0]) if reached.size else coverage_curve.size - 1


def index_at_risk(risk_curve, max_risk):
    """Point of largest coverage whose risk is at most ``max_risk``, or None.

    The selective risk need not grow with the coverage, so this is the last
    feasible point, not the first crossing.
    """
    feasible = np.flatnonzero(risk_curve <= max_risk)
    return int(feasible[-1]) if feasible.size else None


def area_under_curve(coverage, risk):
    """Step integral of a risk-coverage curve (risk held from the left)."""
    return float(np.sum(risk * np.diff(coverage, prepend=0.0)))


_ARRAYS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "uncertainty": ["array-like"],
    "sample_weight": ["array-like", None],
}


def _curve(y_true, y_pred, uncertainty, sample_weight):
    errors, uncertainty, sample_weight = check_selective_inputs(
        y_true, y_pred, uncertainty, sample_weight
    )
    return selective_curve(errors, uncertainty, weights=sample_weight)


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**SELECTIVE)
def risk_coverage_curve(y_true, y_pred, uncertainty, *, sample_weight=None):
    """Compute the risk-coverage curve of a selective classifier.

    Rows are accepted in order of increasing ``uncertainty``; after each
    distinct uncertainty value the curve records the coverage (fraction of
    rows accepted) and the selective risk (error rate among them). Rows with
    equal uncertainty are accepted together (see the module notes on ties).

    Parameters
    ----------
    {y_true}

    {y_pred}

    {uncertainty}

    {sample_weight}

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
    curve = _curve(y_true, y_pred, uncertainty, sample_weight)
    return curve.coverage, curve.risk, curve.threshold


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**SELECTIVE)
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
    {y_true}

    {y_pred}

    {uncertainty}

    {sample_weight}

    Returns
    -------
    aurc : float
        Area under the risk-coverage curve.

    See Also
    --------
    risk_coverage_curve : The curve integrated.

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
    curve = _curve(y_true, y_pred, uncertainty, sample_weight)
    return area_under_curve(curve.coverage, curve.risk)


@validate_params(
    {**_ARRAYS, "coverage": [Interval(Real, 0, 1, closed="right")]},
    prefer_skip_nested_validation=True,
)
@Substitution(**SELECTIVE)
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
    {y_true}

    {y_pred}

    {uncertainty}

    coverage : float in (0, 1]
        Fraction of the rows to accept.

    {sample_weight}

    Returns
    -------
    selective_risk : float
        Error rate among the accepted rows.

    See Also
    --------
    coverage_at_risk : The other way round: the coverage of a risk.

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
    curve = _curve(y_true, y_pred, uncertainty, sample_weight)
    return float(curve.risk[index_at_coverage(curve.coverage, coverage)])


@validate_params(
    {**_ARRAYS, "max_risk": [Interval(Real, 0, 1, closed="both")]},
    prefer_skip_nested_validation=True,
)
@Substitution(**SELECTIVE)
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
    {y_true}

    {y_pred}

    {uncertainty}

    max_risk : float in [0, 1]
        Largest acceptable error rate among accepted rows.

    {sample_weight}

    Returns
    -------
    coverage : float
        Largest achievable coverage, in [0, 1].

    See Also
    --------
    selective_risk_at_coverage : The other way round: the risk of a coverage.

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
    curve = _curve(y_true, y_pred, uncertainty, sample_weight)
    idx = index_at_risk(curve.risk, max_risk)
    return 0.0 if idx is None else float(curve.coverage[idx])


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**SELECTIVE)
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
    {y_true}

    {y_pred}

    {uncertainty}

    {sample_weight}

    Returns
    -------
    rejection_rate : ndarray of shape (n_thresholds,)
        Increasing rejection rates in [0, 1); the first one is 0.

    accuracy : ndarray of shape (n_thresholds,)
        Accuracy among the accepted rows.

    thresholds : ndarray of shape (n_thresholds,)
        Decreasing uncertainty thresholds: the rows whose uncertainty is at
        most ``thresholds[i]`` are accepted.

    See Also
    --------
    risk_coverage_curve : The same curve, from the other end.

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
    curve = _curve(y_true, y_pred, uncertainty, sample_weight)
    return 1.0 - curve.coverage[::-1], 1.0 - curve.risk[::-1], curve.threshold[::-1]
