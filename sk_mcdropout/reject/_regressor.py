"""Reject option for regression: abstain where the predictive std is largest."""

import inspect
from numbers import Real

import numpy as np
from scipy.stats import norm
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import Bunch
from sklearn.utils.validation import (
    assert_all_finite,
    check_array,
    column_or_1d,
)

from .._compat import HasMethods, Interval, StrOptions
from .._docstrings import Substitution
from ._base import DOCS, BaseRejectOption


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
        "The 'estimator' parameter of RejectOptionRegressor must be a regressor "
        "whose predict accepts return_std=True (MCDropoutRegressor, "
        "GaussianProcessRegressor, BayesianRidge, or a Pipeline ending with one). "
        f"Got {type(estimator).__name__}, whose predict does not."
    )


@Substitution(**DOCS)
class RejectOptionRegressor(RegressorMixin, BaseRejectOption):
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

    {coverage}

    max_risk : float, default=None
        Largest acceptable selective risk: a mean squared error (in squared
        units of ``y``, non-negative) for ``loss="squared_error"``, a fraction
        of interval misses in [0, 1] for ``loss="interval_miss"``. If no
        coverage qualifies, every row is rejected and a warning is issued.

    confidence : float in (0, 1), default=None
        With ``max_risk`` and ``loss="interval_miss"``: learn the threshold so
        that, with probability at least ``confidence`` over the draw of the
        calibration rows, the fraction of accepted new rows whose ``y`` falls
        outside the interval is at most ``max_risk``. The bound, the
        multiple-testing correction and the assumptions are those of
        :class:`RejectOptionClassifier` (see its Notes). The squared error is
        unbounded, so no finite-sample bound holds for it: ``confidence``
        with ``loss="squared_error"`` is refused.

    {correction}

    loss : {{"squared_error", "interval_miss"}}, default="squared_error"
        The loss whose mean over the accepted rows is the selective risk.
        ``"interval_miss"``: 1 when ``y`` is outside the Gaussian interval
        ``mean +/- z * std`` of probability ``interval_level``, else 0.

    interval_level : float in (0, 1), default=0.9
        Probability of the Gaussian interval of ``loss="interval_miss"``.

    {cv}

    {refit}

    {random_state}

    {n_jobs}

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted regressor that makes the predictions: the prefit or
        frozen one, or the one refitted on all rows with ``refit=True``. Not
        set when the fold models predict (see ``estimators_``).

    {estimators_}

    threshold_ : float
        Rows whose predictive std is above it are rejected; ``inf`` when
        every held-out row was accepted, ``-inf`` when ``max_risk`` could not
        be met (or certified).

    tiebreak_threshold_ : float
        Rows whose std equals ``threshold_`` exactly are accepted only when
        this is ``inf`` or 0 (the std has no secondary score; rows with equal
        std are accepted or rejected together).

    {cv_coverage_}

    {cv_risk_}

    {risk_bound_}

    {n_features_in_}

    {feature_names_in_}

    See Also
    --------
    RejectOptionClassifier : The same for classifiers, with the Notes on ties
        and on the guarantee.
    sk_mcdropout.metrics.RejectionCurveDisplay : Its risk-coverage curve and
        operating point, from :meth:`rejection_scores`.

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
    >>> print(f"{{reg.cv_coverage_:.3f}} of the calibration rows accepted")
    0.800 of the calibration rows accepted
    >>> y_pred = reg.predict(X[2000:])
    >>> accepted = ~np.isnan(y_pred)
    >>> print(f"about {{accepted.mean():.1f}} of the new rows accepted")
    about 0.8 of the new rows accepted
    >>> mse_all = np.mean((model.predict(X[2000:]) - y[2000:]) ** 2)
    >>> mse_accepted = np.mean((y_pred[accepted] - y[2000:][accepted]) ** 2)
    >>> print(f"accepted rows' squared error: {{mse_accepted / mse_all:.1f}} of all")
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
        refit=False,
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
        self.refit = refit
        self.random_state = random_state
        self.n_jobs = n_jobs

    _parameter_constraints: dict = {
        **BaseRejectOption._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"])],
        # Bounded by 1 only for interval misses (see _check_params).
        "max_risk": [Interval(Real, 0, None, closed="left"), None],
        "loss": [StrOptions({"squared_error", "interval_miss"})],
        "interval_level": [Interval(Real, 0, 1, closed="neither")],
    }

    def _check_params(self):
        super()._check_params()
        _check_return_std(self.estimator)
        interval_miss = self.loss == "interval_miss"
        if interval_miss and self.max_risk is not None and self.max_risk > 1:
            raise ValueError(
                "The 'max_risk' parameter of RejectOptionRegressor must be a float "
                "in the range [0, 1] with loss='interval_miss' (a fraction of "
                f"misses). Got {self.max_risk!r} instead."
            )
        if self.confidence is not None and not interval_miss:
            raise ValueError(
                "The 'confidence' parameter of RejectOptionRegressor needs a "
                "bounded loss: the squared error has no finite-sample bound. Use "
                "loss='interval_miss' for a guarantee, or drop confidence."
            )

    def _check_target(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        # Numeric y of any dtype (object included) as a float vector, with
        # scikit-learn's errors for strings, NaN and inf.
        return column_or_1d(
            check_array(y, ensure_2d=False, dtype=np.float64, input_name="y"),
            warn=True,
        )

    def _row_scores(self, estimator, X):
        mean, std = estimator.predict(X, return_std=True)
        mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        std = np.asarray(std, dtype=np.float64).reshape(-1)
        # A NaN std would compare False with the threshold and be accepted.
        assert_all_finite(mean, input_name="the predicted mean")
        assert_all_finite(std, input_name="the predicted std")
        if np.any(std < 0):
            raise ValueError("The predicted std of the estimator has negative values.")
        # The std has no secondary score: rows of equal std tie.
        return Bunch(
            y_pred=mean, uncertainty=std, tiebreak=np.zeros_like(std), novelty=None
        )

    def _row_losses(self, y, scores):
        """Squared errors, or interval misses (0 or 1); whether they are 0/1."""
        if self.loss == "squared_error":
            return (y - scores.y_pred) ** 2, False
        z = norm.ppf(0.5 + self.interval_level / 2)
        miss = np.abs(y - scores.y_pred) > z * scores.uncertainty
        return miss.astype(np.float64), True

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
        return self.rejection_scores(X).rejected

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
        scores = self.rejection_scores(X)
        mean = scores.y_pred.copy()
        mean[scores.rejected] = np.nan
        if return_std:
            std = scores.uncertainty.copy()
            std[scores.rejected] = np.nan
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
