"""Uncertainty measures computed from Monte Carlo dropout passes.

Every function takes the raw passes returned by
:meth:`MCDropoutClassifier.predict_proba_samples`, an array of shape
``(n_samples, n_rows, n_classes)`` where ``n_samples`` is the number of
stochastic forward passes (not the number of rows), and returns one value per
row, of shape ``(n_rows,)``. Higher always means more uncertain, so any of them
can rank rows for a reject option.

The functions only need numpy: the passes can come from any model (an
ensemble, a Bayesian network, another MC dropout implementation).
Entropies use the natural logarithm, so they are in nats and bounded by
``log(n_classes)``; ``0 * log(0)`` is taken as 0.

References
----------
.. [1] Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation:
   Representing Model Uncertainty in Deep Learning", ICML 2016.
.. [2] Y. Gal, "Uncertainty in Deep Learning", PhD thesis, University of
   Cambridge, 2016, section 3.3.1 (variation ratio, predictive entropy,
   mutual information).
.. [3] N. Houlsby, F. Huszar, Z. Ghahramani and M. Lengyel, "Bayesian Active
   Learning for Classification and Preference Learning", 2011 (BALD).
"""

import numpy as np

from ._validation import check_proba

__all__ = [
    "max_probability_uncertainty",
    "mutual_information",
    "predicted_class_std",
    "predictive_entropy",
    "variation_ratio",
]


def _entropy(p, axis=-1):
    """Shannon entropy in nats, with 0 * log(0) = 0."""
    # np.log(0) would warn and give -inf; 0 * -inf is nan, so mask it out.
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    # Adding 0.0 turns the -0.0 of certain rows into 0.0.
    return -np.sum(p * logp, axis=axis) + 0.0


def predictive_entropy(y_proba_samples):
    """Entropy of the mean predictive distribution over MC passes.

    ``H[mean_t p_t] = -sum_c pbar_c log(pbar_c)`` with ``pbar`` the mean of
    the passes. It is high whenever the averaged prediction is spread over
    classes, whether because every pass is unsure (aleatoric) or because the
    passes disagree (epistemic). Natural log: 0 for a one-hot mean, at most
    ``log(n_classes)`` for a uniform one.

    Parameters
    ----------
    y_proba_samples : array-like of shape (n_samples, n_rows, n_classes)
        Class probabilities of each stochastic pass; ``n_samples`` is the
        number of passes.

    Returns
    -------
    entropy : ndarray of shape (n_rows,)
        Predictive entropy in nats; higher means more uncertain.

    See Also
    --------
    mutual_information : The part of this entropy due to disagreement between
        passes.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_mcdropout.uncertainty import predictive_entropy
    >>> passes = np.array([[[1.0, 0.0], [0.5, 0.5]],
    ...                    [[1.0, 0.0], [0.5, 0.5]]])
    >>> predictive_entropy(passes).round(4)  # 0 and log(2)
    array([0.    , 0.6931])
    """
    y_proba_samples = check_proba(y_proba_samples, name="y_proba_samples")
    return _entropy(y_proba_samples.mean(axis=0))


def mutual_information(y_proba_samples):
    """Mutual information between the prediction and the weights (BALD).

    ``I = H[mean_t p_t] - mean_t H[p_t]``: the predictive entropy minus the
    mean entropy of the individual passes. It is zero when all passes agree,
    however unsure each of them is, and grows when confident passes disagree,
    so it isolates the model (epistemic) part of the uncertainty [1]_ [2]_.
    Natural log; the value lies in ``[0, log(n_classes)]``. Tiny negative
    values from floating-point cancellation are clipped to 0.

    Parameters
    ----------
    y_proba_samples : array-like of shape (n_samples, n_rows, n_classes)
        Class probabilities of each stochastic pass; ``n_samples`` is the
        number of passes.

    Returns
    -------
    mutual_information : ndarray of shape (n_rows,)
        Mutual information in nats; higher means more uncertain.

    References
    ----------
    .. [1] N. Houlsby, F. Huszar, Z. Ghahramani and M. Lengyel, "Bayesian
       Active Learning for Classification and Preference Learning", 2011.
    .. [2] Y. Gal, R. Islam and Z. Ghahramani, "Deep Bayesian Active Learning
       with Image Data", ICML 2017.

    Examples
    --------
    Two passes that are sure of different classes disagree completely; two
    passes that are both undecided agree:

    >>> import numpy as np
    >>> from sk_mcdropout.uncertainty import mutual_information
    >>> passes = np.array([[[1.0, 0.0], [0.5, 0.5]],
    ...                    [[0.0, 1.0], [0.5, 0.5]]])
    >>> mutual_information(passes).round(4)  # log(2) and 0
    array([0.6931, 0.    ])
    """
    y_proba_samples = check_proba(y_proba_samples, name="y_proba_samples")
    total = _entropy(y_proba_samples.mean(axis=0))
    expected = _entropy(y_proba_samples).mean(axis=0)
    return np.maximum(total - expected, 0.0)


def variation_ratio(y_proba_samples):
    """Fraction of MC passes that do not vote for the modal class.

    Each pass votes for its most probable class (the first one on an exact
    tie within a pass, as :func:`numpy.argmax` does); the variation ratio is
    ``1 - f / n_samples`` with ``f`` the number of votes of the most voted
    class [1]_. It is 0 when all passes agree and at most
    ``1 - 1 / n_classes``. It takes only ``n_samples + 1`` distinct values,
    so rows often tie; see :mod:`sk_mcdropout.metrics` for how ties are
    treated when ranking.

    Parameters
    ----------
    y_proba_samples : array-like of shape (n_samples, n_rows, n_classes)
        Class probabilities of each stochastic pass; ``n_samples`` is the
        number of passes.

    Returns
    -------
    variation_ratio : ndarray of shape (n_rows,)
        Variation ratio in [0, 1); higher means more uncertain.

    References
    ----------
    .. [1] L. C. Freeman, "Elementary Applied Statistics", Wiley, 1965.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_mcdropout.uncertainty import variation_ratio
    >>> passes = np.array([[[0.9, 0.1], [0.6, 0.4]],
    ...                    [[0.8, 0.2], [0.3, 0.7]],
    ...                    [[0.7, 0.3], [0.2, 0.8]],
    ...                    [[0.6, 0.4], [0.4, 0.6]]])
    >>> variation_ratio(passes)
    array([0.  , 0.25])
    """
    y_proba_samples = check_proba(y_proba_samples, name="y_proba_samples")
    n_samples, n_rows, n_classes = y_proba_samples.shape
    votes = y_proba_samples.argmax(axis=2)
    # Count votes per (row, class) with one bincount on flattened indices.
    flat = (np.arange(n_rows) * n_classes + votes).ravel()
    counts = np.bincount(flat, minlength=n_rows * n_classes).reshape(n_rows, n_classes)
    return 1.0 - counts.max(axis=1) / n_samples


def predicted_class_std(y_proba_samples):
    """Standard deviation across passes of the predicted class's probability.

    The predicted class is the argmax of the mean of the passes (the first
    class on an exact tie), i.e. the class :meth:`MCDropoutClassifier.predict`
    returns. The standard deviation is the population one (``ddof=0``), the
    same as the per-class spread returned by
    :meth:`MCDropoutClassifier.predict_uncertainty`. It lies in ``[0, 0.5]``.

    Parameters
    ----------
    y_proba_samples : array-like of shape (n_samples, n_rows, n_classes)
        Class probabilities of each stochastic pass; ``n_samples`` is the
        number of passes.

    Returns
    -------
    std : ndarray of shape (n_rows,)
        Standard deviation of the predicted class's probability; higher means
        more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_mcdropout.uncertainty import predicted_class_std
    >>> passes = np.array([[[0.9, 0.1], [0.5, 0.5]],
    ...                    [[0.5, 0.5], [0.5, 0.5]]])
    >>> predicted_class_std(passes)
    array([0.2, 0. ])
    """
    y_proba_samples = check_proba(y_proba_samples, name="y_proba_samples")
    predicted = y_proba_samples.mean(axis=0).argmax(axis=1)
    rows = np.arange(y_proba_samples.shape[1])
    return y_proba_samples[:, rows, predicted].std(axis=0)


def max_probability_uncertainty(y_proba):
    """One minus the largest mean class probability.

    ``1 - max_c pbar_c``, the classic "softmax response" confidence score
    turned into an uncertainty. It needs no MC passes: it also accepts the
    ``(n_rows, n_classes)`` output of any classifier's ``predict_proba``,
    which makes it the baseline the MC measures are compared against. It lies
    in ``[0, 1 - 1 / n_classes]``.

    Parameters
    ----------
    y_proba : array-like of shape (n_samples, n_rows, n_classes) or \
            (n_rows, n_classes)
        Class probabilities, either of each stochastic pass (their mean is
        used) or already averaged / from a deterministic model.

    Returns
    -------
    uncertainty : ndarray of shape (n_rows,)
        One minus the maximum (mean) probability; higher means more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_mcdropout.uncertainty import max_probability_uncertainty
    >>> max_probability_uncertainty(np.array([[0.9, 0.1], [0.4, 0.6]]))
    array([0.1, 0.4])
    >>> passes = np.array([[[1.0, 0.0]], [[0.6, 0.4]]])  # mean [0.8, 0.2]
    >>> max_probability_uncertainty(passes).round(6)
    array([0.2])
    """
    y_proba = check_proba(y_proba, name="y_proba", allow_2d=True)
    if y_proba.ndim == 3:
        y_proba = y_proba.mean(axis=0)
    return 1.0 - y_proba.max(axis=1)
