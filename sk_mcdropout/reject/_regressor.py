"""Reject option for regression: abstain where the predictive std is largest."""

import inspect
from numbers import Real

import numpy as np
from scipy.stats import norm
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import get_tags, indexable
from sklearn.utils.validation import (
    assert_all_finite,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from .._validation import check_sample_weight
from ._classifier import (
    _check_fraction_param,
    _held_out_scores,
    _learn_threshold,
    _validate_common_params,
)
from ._threshold import above_threshold

_LOSSES = ("squared_error", "interval_miss")


def _check_return_std(estimator):
    try:
        parameters = inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):  # a builtin: let the call decide
        return
    if "return_std" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    ):
        return
    raise ValueError(
        "RejectOptionRegressor needs a regressor whose predict accepts "
        "return_std=True (MCDropoutRegressor, GaussianProcessRegressor, "
        "BayesianRidge, or a Pipeline ending with one); the predict of "
        f"{type(estimator).__name__} does not."
    )


def _mean_and_std(estimator, X):
    mean, std = estimator.predict(X, return_std=True)
    mean = np.asarray(mean, dtype=np.float64).reshape(-1)
    std = np.asarray(std, dtype=np.float64).reshape(-1)
    # A NaN std would compare False with the threshold and be accepted.
    assert_all_finite(mean, input_name="the predicted mean")
    assert_all_finite(std, input_name="the predicted std")
    if np.any(std < 0):
        raise ValueError("The predicted std of the estimator has negative values.")
    return mean, std


def _regressor_fold_scores(estimator, X):
    mean, std = _mean_and_std(estimator, X)
    return mean, std


class RejectOptionRegressor(RegressorMixin, MetaEstimatorMixin, BaseEstimator):
    """Regressor that abstains on the rows whose predictive std is largest.

    A row is rejected (left to a human) when its predictive standard
    deviation, from ``estimator.predict(X, return_std=True)``, is above
    ``threshold_``. As in :class:`RejectOptionClassifier`, the threshold is
    learnt on held-out predictions for a target ``coverage``, for the largest
    coverage whose selective risk is at most ``max_risk``, or, with
    ``confidence``, for the largest coverage whose selective risk is
    certified to be at most ``max_risk``. The selective risk is the mean
    ``loss`` over the accepted rows.

    Parameters
    ----------
    estimator : estimator instance
        A regressor whose ``predict`` accepts ``return_std=True``:
        :class:`MCDropoutRegressor`,
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`,
        :class:`~sklearn.linear_model.BayesianRidge`, a Pipeline ending with
        one, or a :class:`~sklearn.frozen.FrozenEstimator` wrapping a fitted
        one (then ``cv`` is ignored and all rows given to ``fit`` are
        calibration rows).

    coverage : float in (0, 1], default=None
        Target fraction of rows to accept. If ``coverage`` and ``max_risk``
        are both None, ``coverage=0.9`` is used. Set at most one of them.

    max_risk : float, default=None
        Largest acceptable selective risk: a mean squared error (in squared
        units of ``y``) for ``loss="squared_error"``, a fraction of interval
        misses in [0, 1] for ``loss="interval_miss"``.

    confidence : float in (0, 1), default=None
        With ``max_risk`` and ``loss="interval_miss"``: learn the threshold so
        that, with probability at least ``confidence`` over the draw of the
        calibration rows, the fraction of accepted new rows whose ``y`` falls
        outside the interval is at most ``max_risk``. The bound, the
        multiple-testing correction and the assumptions are those of
        :class:`RejectOptionClassifier` (see its Notes). The squared error is
        unbounded, so no finite-sample bound holds for it: ``confidence``
        with ``loss="squared_error"`` is refused.

    correction : {"fixed_sequence", "sgr"}, default="fixed_sequence"
        How ``confidence`` accounts for the thresholds tried, as in
        :class:`RejectOptionClassifier`. When the std of the model is well
        sized, interval misses are about ``1 - interval_level`` whatever the
        std; for such a flat risk ``"sgr"`` certifies more coverage than
        fixed-sequence testing, whose first failure ends its search.

    loss : {"squared_error", "interval_miss"}, default="squared_error"
        The loss whose mean over the accepted rows is the selective risk.
        ``"interval_miss"``: 1 when ``y`` is outside the Gaussian interval
        ``mean +/- z * std`` of probability ``interval_level``, else 0.

    interval_level : float in (0, 1), default=0.9
        Probability of the Gaussian interval of ``loss="interval_miss"``.

    cv : int, float, cross-validation generator, iterable or "prefit", \
            default=5
        How the held-out predictions are made, as in
        :class:`RejectOptionClassifier` (folds are not stratified).

    random_state : int, RandomState instance or None, default=None
        Controls the shuffle split when ``cv`` is a float.

    n_jobs : int, default=None
        Number of jobs to fit the folds in parallel. None means 1.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted regressor that makes the predictions.

    threshold_ : float
        Rows whose predictive std is above it are rejected; ``inf`` when
        every held-out row was accepted, ``-inf`` when ``max_risk`` could not
        be met (or certified).

    tiebreak_threshold_ : float
        Rows whose std equals ``threshold_`` exactly are accepted only when
        this is ``inf`` or 0 (the std has no secondary score; rows with equal
        std are accepted or rejected together).

    cv_coverage_ : float
        Fraction of the held-out rows accepted.

    cv_risk_ : float
        Selective risk of the accepted held-out rows (nan if none).

    risk_bound_ : float
        With ``confidence``: the certified upper bound on the selective risk
        (nan when nothing could be certified, or without ``confidence``).

    n_features_in_ : int
        Number of features seen during :term:`fit`, if the estimator has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, if the estimator has them.

    See Also
    --------
    RejectOptionClassifier : The same for classifiers, with the Notes on ties
        and on the guarantee.

    Notes
    -----
    :meth:`predict` returns NaN for rejected rows, so a forgotten rejection
    cannot pass for a prediction; :meth:`reject` gives the mask and
    :meth:`score` is the R^2 of the accepted rows. Rows with equal std are
    accepted or rejected together; if they make the held-out coverage exceed
    ``coverage`` by more than 0.01, a warning says so (a homoscedastic model
    has the same std everywhere and cannot rank rows at all).

    Examples
    --------
    The noise grows with ``|x|``, and so does the std of a Bayesian linear
    model; rejecting the 20% largest std removes the noisiest rows:

    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sk_mcdropout import RejectOptionRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(3000, 1))
    >>> y = X[:, 0] + np.abs(X[:, 0]) * rng.normal(size=3000)
    >>> model = BayesianRidge().fit(X[:1000], y[:1000])
    >>> reg = RejectOptionRegressor(FrozenEstimator(model), coverage=0.8)
    >>> reg = reg.fit(X[1000:2000], y[1000:2000])
    >>> print(f"{reg.cv_coverage_:.3f} of the calibration rows accepted")
    0.800 of the calibration rows accepted
    >>> y_pred = reg.predict(X[2000:])
    >>> accepted = ~np.isnan(y_pred)
    >>> print(f"about {accepted.mean():.1f} of the new rows accepted")
    about 0.8 of the new rows accepted
    >>> mse_all = np.mean((model.predict(X[2000:]) - y[2000:]) ** 2)
    >>> mse_accepted = np.mean((y_pred[accepted] - y[2000:][accepted]) ** 2)
    >>> print(f"accepted rows' squared error: {mse_accepted / mse_all:.1f} of all")
    accepted rows' squared error: 0.6 of all
    """

    def __init__(
        self,
        estimator,
        *,
        coverage=None,
        max_risk=None,
        confidence=None,
        correction="fixed_sequence",
        loss="squared_error",
        interval_level=0.9,
        cv=5,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.coverage = coverage
        self.max_risk = max_risk
        self.confidence = confidence
        self.correction = correction
        self.loss = loss
        self.interval_level = interval_level
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _validate_params(self):
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "predict"):
            raise ValueError(
                "The 'estimator' parameter must be a regressor with fit and "
                f"predict methods; got {self.estimator!r}."
            )
        _check_return_std(self.estimator)
        if not isinstance(self.loss, str) or self.loss not in _LOSSES:
            raise ValueError(
                f"The 'loss' parameter must be one of {list(_LOSSES)}; "
                f"got {self.loss!r}."
            )
        _validate_common_params(self, bounded_risk=self.loss == "interval_miss")
        if self.interval_level is None or not isinstance(self.interval_level, Real):
            raise ValueError(
                "The 'interval_level' parameter must be a float in (0, 1); "
                f"got {self.interval_level!r}."
            )
        _check_fraction_param(self.interval_level, "interval_level", allow_one=False)
        if self.confidence is not None and self.loss == "squared_error":
            raise ValueError(
                "confidence needs a bounded loss: the squared error has no "
                "finite-sample bound. Use loss='interval_miss' for a "
                "guarantee, or drop confidence."
            )

    def _losses(self, y, mean, std):
        if self.loss == "squared_error":
            return (y - mean) ** 2
        z = norm.ppf(0.5 + self.interval_level / 2)
        return (np.abs(y - mean) > z * std).astype(np.float64)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator and learn the rejection threshold.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data, in any form the estimator accepts.

        y : array-like of shape (n_rows,)
            Target values.

        sample_weight : array-like of shape (n_rows,), default=None
            Row weights, passed to the estimator's ``fit`` and used to weight
            the held-out coverage and risk. Refused with ``confidence``.

        **fit_params : dict
            Further parameters for the estimator's ``fit``.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        self._validate_params()
        X, y = indexable(X, y)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        # Numeric y of any dtype (object included) as a float vector, with
        # scikit-learn's errors for strings, NaN and inf.
        y = column_or_1d(
            check_array(y, ensure_2d=False, dtype=np.float64, input_name="y"),
            warn=True,
        )
        if sample_weight is not None and self.confidence is not None:
            raise ValueError(
                "sample_weight cannot be used with confidence: the certified "
                "bound is on unweighted rows."
            )
        weights = (
            None
            if sample_weight is None
            else check_sample_weight(sample_weight, y.shape[0])
        )
        self.estimator_, index, (mean, std) = _held_out_scores(
            self, X, y, weights, fit_params, _regressor_fold_scores, classifier=False
        )
        held_out_weights = np.ones(index.size) if weights is None else weights[index]
        losses = self._losses(y[index], mean, std)
        _learn_threshold(
            self,
            losses,
            std,
            np.zeros_like(std),
            held_out_weights,
            binary=self.loss == "interval_miss",
        )
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _predict_with_mask(self, X):
        check_is_fitted(self, "threshold_")
        mean, std = _mean_and_std(self.estimator_, X)
        rejected = above_threshold(
            std, np.zeros_like(std), self.threshold_, self.tiebreak_threshold_
        )
        return mean, std, rejected

    def reject(self, X):
        """Tell which rows are rejected.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        rejected : ndarray of shape (n_rows,), dtype=bool
            True for the rows whose predictive std is above ``threshold_``.
        """
        return self._predict_with_mask(X)[2]

    def predict(self, X, return_std=False):
        """Predict the mean, NaN for rejected rows.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        return_std : bool, default=False
            Also return the predictive std (NaN for rejected rows).

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            Predictive mean of the accepted rows, NaN for the rejected ones.

        y_std : ndarray of shape (n_rows,)
            Only with ``return_std=True``.
        """
        mean, std, rejected = self._predict_with_mask(X)
        mean[rejected] = np.nan
        if return_std:
            std = std.copy()
            std[rejected] = np.nan
            return mean, std
        return mean

    def score(self, X, y, sample_weight=None):
        """R^2 of the accepted rows (nan if every row is rejected).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        y : array-like of shape (n_rows,)
            True targets.

        sample_weight : array-like of shape (n_rows,), default=None
            Row weights.

        Returns
        -------
        score : float
            :func:`~sklearn.metrics.r2_score` on the accepted rows.
        """
        y_pred = self.predict(X)
        accepted = ~np.isnan(y_pred)
        if not accepted.any():
            return np.nan
        y = column_or_1d(y)
        weights = None if sample_weight is None else np.asarray(sample_weight)
        return r2_score(
            y[accepted],
            y_pred[accepted],
            sample_weight=None if weights is None else weights[accepted],
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
