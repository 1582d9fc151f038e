"""Metrics of a Gaussian predictive distribution ``N(y_mean, y_std**2)``.

Each function takes ``(y_true, y_mean, y_std)``, so it scores any model that
returns a mean and a standard deviation (``predict(X, return_std=True)`` of
:class:`~sk_mcdropout.MCDropoutRegressor`, ``GaussianProcessRegressor``,
``BayesianRidge``, NGBoost's ``pred_dist``...). Arrays have shape (n_rows,)
or (n_rows, n_outputs); averages run over rows and outputs alike, weighted by
row with ``sample_weight``.

References
----------
.. [1] T. Gneiting and A. E. Raftery, "Strictly Proper Scoring Rules,
   Prediction, and Estimation", JASA 2007 (CRPS of a Gaussian).
.. [2] V. Kuleshov, N. Fenner and S. Ermon, "Accurate Uncertainties for Deep
   Learning Using Calibrated Regression", ICML 2018 (calibration over
   quantile levels).
.. [3] K. Tran, W. Neiswanger, J. Yoon, Q. Zhang, E. Xing and Z. W. Ulissi,
   "Methods for Comparing Uncertainty Quantifications for Material Property
   Predictions", MLST 2020 (miscalibration area, sharpness; the definitions
   of uncertainty-toolbox).
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtr, ndtri

from .._compat import HasMethods, Interval, StrOptions, validate_params
from .._docstrings import Substitution
from .._validation import check_gaussian_inputs
from ._docstrings import GAUSSIAN

_LOG_2PI = np.log(2 * np.pi)

_ARRAYS = {
    "y_true": ["array-like"],
    "y_mean": ["array-like"],
    "y_std": ["array-like"],
    "sample_weight": ["array-like", None],
}
_LEVEL = {"confidence_level": [Interval(Real, 0, 1, closed="neither")]}
_CURVE = {
    "n_levels": [Interval(Integral, 2, None, closed="left")],
    "kind": [StrOptions({"interval", "quantile"})],
}


def _mean(values, sample_weight):
    """Weighted mean over rows of the per-row mean over outputs."""
    return float(np.average(values.mean(axis=1), weights=sample_weight))


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def gaussian_nll(y_true, y_mean, y_std, *, sample_weight=None):
    """Mean negative log-likelihood of the targets under ``N(y_mean, y_std**2)``.

    ``log(2 pi) / 2 + log(y_std) + (y_true - y_mean)**2 / (2 y_std**2)``,
    averaged; lower is better. A proper scoring rule, sensitive to both the
    accuracy of the mean and the size of the standard deviation. The
    log-likelihood reported in the literature (e.g. Gal & Ghahramani, 2016)
    is its negative.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {sample_weight}

    Returns
    -------
    nll : float
        Mean negative log-likelihood, in nats.

    Examples
    --------
    >>> from sk_mcdropout.metrics import gaussian_nll
    >>> round(gaussian_nll([0.0, 1.0], [0.0, 0.0], [1.0, 1.0]), 4)
    1.1689
    """
    y_true, y_mean, y_std, sw = check_gaussian_inputs(
        y_true, y_mean, y_std, sample_weight
    )
    z = (y_true - y_mean) / y_std
    return _mean(0.5 * _LOG_2PI + np.log(y_std) + 0.5 * z**2, sw)


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def crps_gaussian(y_true, y_mean, y_std, *, sample_weight=None):
    """Mean continuous ranked probability score of a Gaussian predictive.

    ``CRPS(N(mu, s**2), y) = s * (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi))``
    with ``z = (y - mu) / s`` (Gneiting & Raftery, 2007), averaged; lower is
    better, in the units of y. It equals the absolute error for ``s -> 0``
    and, unlike the log-likelihood, stays bounded for badly overconfident
    predictions.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {sample_weight}

    Returns
    -------
    crps : float
        Mean CRPS, in the units of y.

    Examples
    --------
    >>> from sk_mcdropout.metrics import crps_gaussian
    >>> round(crps_gaussian([0.0], [0.0], [1.0]), 4)  # (sqrt(2) - 1) / sqrt(pi)
    0.2337
    """
    y_true, y_mean, y_std, sw = check_gaussian_inputs(
        y_true, y_mean, y_std, sample_weight
    )
    z = (y_true - y_mean) / y_std
    pdf = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    crps = y_std * (z * (2 * ndtr(z) - 1) + 2 * pdf - 1 / np.sqrt(np.pi))
    return _mean(crps, sw)


@validate_params({**_ARRAYS, **_LEVEL}, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def interval_coverage(
    y_true, y_mean, y_std, *, confidence_level=0.95, sample_weight=None
):
    """Fraction of targets inside the central predictive interval.

    The interval is ``y_mean +- z * y_std`` with ``z`` the
    ``(1 + confidence_level) / 2`` quantile of the standard normal (1.96 for
    0.95). A calibrated model covers about ``confidence_level`` of new rows.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {confidence_level}

    {sample_weight}

    Returns
    -------
    coverage : float
        Observed fraction of targets inside their interval, in [0, 1].

    Examples
    --------
    >>> from sk_mcdropout.metrics import interval_coverage
    >>> interval_coverage([0.0, 1.0, 3.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    0.6666666666666666
    """
    y_true, y_mean, y_std, sw = check_gaussian_inputs(
        y_true, y_mean, y_std, sample_weight
    )
    z = ndtri(0.5 + confidence_level / 2)
    return _mean(np.abs(y_true - y_mean) <= z * y_std, sw)


@validate_params({**_ARRAYS, **_LEVEL}, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def mean_interval_width(
    y_true, y_mean, y_std, *, confidence_level=0.95, sample_weight=None
):
    """Mean width of the central predictive interval, ``2 z y_std``.

    The companion of :func:`interval_coverage`: of two models with the
    nominal coverage, the one with narrower intervals is more useful.
    ``y_true`` and ``y_mean`` are only validated, so that every metric here
    takes the same arguments.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {confidence_level}

    {sample_weight}

    Returns
    -------
    width : float
        Mean interval width, in the units of y.

    Examples
    --------
    >>> from sk_mcdropout.metrics import mean_interval_width
    >>> round(mean_interval_width([0.0], [0.0], [1.0]), 4)
    3.9199
    """
    _, _, y_std, sw = check_gaussian_inputs(y_true, y_mean, y_std, sample_weight)
    return _mean(2 * ndtri(0.5 + confidence_level / 2) * y_std, sw)


@validate_params(_ARRAYS, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def sharpness(y_true, y_mean, y_std, *, sample_weight=None):
    """Root mean predictive variance, ``sqrt(mean(y_std**2))``.

    How concentrated the predictions are, regardless of whether they are
    right (uncertainty-toolbox's definition); lower is sharper. Only
    meaningful next to a calibration measure. ``y_true`` and ``y_mean`` are
    only validated.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {sample_weight}

    Returns
    -------
    sharpness : float
        In the units of y.

    Examples
    --------
    >>> from sk_mcdropout.metrics import sharpness
    >>> round(sharpness([0.0, 0.0], [0.0, 0.0], [3.0, 4.0]) ** 2, 6)
    12.5
    """
    _, _, y_std, sw = check_gaussian_inputs(y_true, y_mean, y_std, sample_weight)
    return float(np.sqrt(_mean(y_std**2, sw)))


@validate_params({**_ARRAYS, **_CURVE}, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def regression_calibration_curve(
    y_true, y_mean, y_std, *, n_levels=101, kind="interval", sample_weight=None
):
    """Observed against expected frequency over probability levels.

    For each level ``q`` in ``linspace(0, 1, n_levels)``: with
    ``kind="interval"``, the fraction of targets inside their central
    ``q``-interval; with ``kind="quantile"``, the fraction below their
    ``q``-quantile (Kuleshov et al., 2018). A calibrated model has observed
    close to expected at every level; a curve below the diagonal (interval
    kind) means intervals that are too narrow: overconfidence.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {n_levels}

    {kind}

    {sample_weight}

    Returns
    -------
    expected : ndarray of shape (n_levels,)
        The levels.
    observed : ndarray of shape (n_levels,)
        Observed frequency at each level.

    Examples
    --------
    >>> from sk_mcdropout.metrics import regression_calibration_curve
    >>> expected, observed = regression_calibration_curve(
    ...     [0.5, 1.0, -3.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], n_levels=3)
    >>> expected.tolist(), observed.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.3333333333333333, 1.0])
    """
    y_true, y_mean, y_std, sw = check_gaussian_inputs(
        y_true, y_mean, y_std, sample_weight
    )
    expected = np.linspace(0.0, 1.0, n_levels)
    z = ((y_true - y_mean) / y_std).ravel()
    weights = np.repeat(sw, y_true.shape[1])
    # The probability level at which each target enters its interval (or
    # falls below its quantile); observed(q) is the weighted share <= q.
    if kind == "interval":
        entry = 2 * ndtr(np.abs(z)) - 1
    else:
        entry = ndtr(z)
    # Counted up to each level, ties included (side="right"): the order among
    # equal entries does not matter.
    order = np.argsort(entry)
    cumulative = np.concatenate([[0.0], np.cumsum(weights[order])]) / weights.sum()
    counts = np.searchsorted(entry[order], expected, side="right")
    observed = cumulative[counts]
    # The interval of level 1 is the whole line, even for an infinite z.
    observed[-1] = 1.0
    return expected, observed


@validate_params({**_ARRAYS, **_CURVE}, prefer_skip_nested_validation=True)
@Substitution(**GAUSSIAN)
def miscalibration_area(
    y_true, y_mean, y_std, *, n_levels=101, kind="interval", sample_weight=None
):
    """Area between the calibration curve and the diagonal.

    The integral over levels ``q`` in [0, 1] of ``|observed(q) - q|`` (see
    :func:`regression_calibration_curve`), by the trapezoidal rule on
    ``n_levels`` equally spaced levels: 0 for a perfectly calibrated model,
    at most 0.5. uncertainty-toolbox's ``miscalibration_area`` computes the
    same area on its own grid of levels; the values agree up to the grid.

    Parameters
    ----------
    {y_true}

    {y_mean}

    {y_std}

    {n_levels}

    {kind}

    {sample_weight}

    Returns
    -------
    area : float
        Miscalibration area, in [0, 0.5].

    Examples
    --------
    >>> import numpy as np
    >>> from sk_mcdropout.metrics import miscalibration_area
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal(10_000)
    >>> zeros, ones = np.zeros_like(y), np.ones_like(y)
    >>> miscalibration_area(y, zeros, ones) < 0.01        # calibrated
    True
    >>> miscalibration_area(y, zeros, 0.5 * ones) > 0.1   # overconfident
    True
    """
    expected, observed = regression_calibration_curve(
        y_true,
        y_mean,
        y_std,
        n_levels=n_levels,
        kind=kind,
        sample_weight=sample_weight,
    )
    return area_to_diagonal(expected, observed)


def area_to_diagonal(expected, observed):
    """Trapezoidal integral of ``|observed - expected|`` over the levels."""
    gap = np.abs(observed - expected)
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(expected)))


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": "no_validation",
        "y": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
@Substitution(**GAUSSIAN)
def neg_gaussian_nll_scorer(estimator, X, y, sample_weight=None):
    """Scorer: minus :func:`gaussian_nll` of ``estimator.predict(X, return_std=True)``.

    Pass it as ``scoring=`` to ``GridSearchCV``, ``cross_validate`` or
    ``permutation_importance`` to select, e.g., the dropout rate ``p`` on
    predictive log-likelihood (greater is better, as scikit-learn's scorers).
    Works with any regressor, or Pipeline ending with one, whose ``predict``
    takes ``return_std=True``: :class:`~sk_mcdropout.MCDropoutRegressor`,
    ``GaussianProcessRegressor``, ``BayesianRidge``, ``ARDRegression``.

    Parameters
    ----------
    estimator : estimator instance
        Fitted regressor.

    X : array-like of shape (n_rows, n_features)
        Input data, in any form the estimator takes.

    y : array-like of shape (n_rows,) or (n_rows, n_outputs)
        Observed targets.

    {sample_weight}

    Returns
    -------
    score : float
        Mean Gaussian log-likelihood per target value (higher is better).

    See Also
    --------
    gaussian_nll : The metric this scorer negates.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sk_mcdropout.metrics import neg_gaussian_nll_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = GridSearchCV(BayesianRidge(), {{"alpha_1": [1e-6, 1.0]}},
    ...                       scoring=neg_gaussian_nll_scorer).fit(X, y)
    >>> bool(search.best_score_ < 0)
    True
    """
    y_mean, y_std = estimator.predict(X, return_std=True)
    return -gaussian_nll(y, y_mean, y_std, sample_weight=sample_weight)
