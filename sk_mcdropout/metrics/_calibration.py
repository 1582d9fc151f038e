"""Calibration of a classifier's top-label confidence."""

from numbers import Integral

import numpy as np

from .._compat import Interval, validate_params
from .._docstrings import Substitution
from .._validation import check_top_label_inputs
from ._docstrings import SELECTIVE


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
@Substitution(y_true=SELECTIVE["y_true"])
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
    {y_true}

    y_proba : array-like of shape (n_rows, n_classes) or (n_rows,)
        Predicted probabilities, columns ordered as ``labels``. A 1-D array
        is the probability of the greater label of a binary problem, as in
        :func:`sklearn.metrics.log_loss`.

    n_bins : int, default=15
        Number of equal-width confidence bins, at least 1.

    labels : array-like of shape (n_classes,), default=None
        The labels of the columns of ``y_proba``, sorted as the estimator's
        ``classes_``. If None, the sorted unique values of ``y_true``, which
        must then contain every class.

    sample_weight : array-like of shape (n_rows,), default=None
        Row weights, non-negative with a positive sum.

    Returns
    -------
    ece : float
        Expected calibration error, in [0, 1].

    See Also
    --------
    sklearn.calibration.calibration_curve : The reliability curve of these
        bins.

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
    y_true, y_proba, labels, sample_weight = check_top_label_inputs(
        y_true, y_proba, labels, sample_weight
    )
    confidence = y_proba.max(axis=1)
    correct = (labels[y_proba.argmax(axis=1)] == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Same bin assignment as sklearn.calibration.calibration_curve.
    bin_ids = np.searchsorted(edges[1:-1], confidence)
    conf_sum = np.bincount(
        bin_ids, weights=sample_weight * confidence, minlength=n_bins
    )
    correct_sum = np.bincount(
        bin_ids, weights=sample_weight * correct, minlength=n_bins
    )
    # Per bin: its weight times |accuracy - mean confidence|.
    gaps = np.abs(correct_sum - conf_sum)
    return float(gaps.sum() / sample_weight.sum())
