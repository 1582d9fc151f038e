"""Calibration of a classifier's top-label confidence."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_consistent_length, column_or_1d

from .._validation import check_labels, check_proba, check_sample_weight


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
    y_proba = check_proba(y_proba, name="y_proba", allow_2d=True)
    if labels is None:
        check_labels(y_true, names=("y_true",))
        labels = np.unique(y_true)
    else:
        labels = column_or_1d(labels)
        check_labels(y_true, labels, names=("y_true", "labels"))
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
    sample_weight = check_sample_weight(sample_weight, y_true.shape[0])

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
