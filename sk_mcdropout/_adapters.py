"""Adapters that let other libraries use a model's predictive std."""

import inspect

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._compat import HasMethods

__all__ = ["PredictiveStd"]


def _accepts_return_std(estimator):
    try:
        parameters = inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):  # a builtin: let the call decide
        return True
    return "return_std" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


class PredictiveStd(RegressorMixin, BaseEstimator):
    """The predictive standard deviation of a fitted regressor, as a regressor.

    A thin, already fitted wrapper whose ``predict(X)`` returns
    ``estimator.predict(X, return_std=True)[1]``. Conformal libraries that
    normalise residuals by a difficulty estimate take a regressor for it:
    MAPIE's ``ResidualNormalisedScore(residual_estimator=..., prefit=True)``
    divides each residual by ``residual_estimator.predict(X)``. With this
    adapter that estimate is the model's own predictive std, and the
    conformal intervals widen where the model is unsure.

    The estimator is duck-typed: any fitted regressor whose ``predict``
    accepts ``return_std=True`` (:class:`~sk_mcdropout.MCDropoutRegressor`,
    :class:`~sklearn.gaussian_process.GaussianProcessRegressor`,
    :class:`~sklearn.linear_model.BayesianRidge`, or a
    :class:`~sklearn.pipeline.Pipeline` that ends with one). It is used as it
    is, never refitted: ``fit`` only checks it. ``n_features_in_`` and
    ``feature_names_in_`` are the estimator's, so a Pipeline fitted on a
    DataFrame keeps checking its columns.

    Parameters
    ----------
    estimator : object
        A fitted regressor whose ``predict`` accepts ``return_std=True``.

    Attributes
    ----------
    n_features_in_ : int
        Number of features the estimator was fitted on.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of those features, when the estimator was fitted on a DataFrame
        with string column names.

    See Also
    --------
    sk_mcdropout.RejectOptionRegressor : Abstain where the predictive std is
        largest.

    Notes
    -----
    MAPIE checks a prefit residual estimator by predicting one row of zeros
    of width ``n_features_in_``, which a Pipeline that selects DataFrame
    columns by name cannot take. For such a Pipeline, wrap its last step and
    keep its preprocessing in front, as MAPIE expects of a Pipeline:
    ``make_pipeline(pipeline[:-1], PredictiveStd(pipeline[-1]))``.

    Examples
    --------
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sk_mcdropout import PredictiveStd
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> reg = BayesianRidge().fit(X, [0.1, 0.9, 2.1, 2.9])
    >>> std = PredictiveStd(reg).fit()
    >>> rows = [[1.5], [10.0]]
    >>> bool((std.predict(rows) == reg.predict(rows, return_std=True)[1]).all())
    True
    >>> near, far = std.predict(rows)
    >>> bool(far > near)  # less sure far from the data
    True
    """

    _parameter_constraints = {"estimator": [HasMethods(["predict"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X=None, y=None, **fit_params):
        """Check the estimator; nothing is fitted.

        Parameters
        ----------
        X : object, default=None
            Ignored: the estimator is already fitted.

        y : object, default=None
            Ignored.

        **fit_params : dict
            Ignored.

        Returns
        -------
        self : PredictiveStd
            This wrapper.
        """
        self._validate_params()
        check_is_fitted(self.estimator)
        if not _accepts_return_std(self.estimator):
            raise ValueError(
                "PredictiveStd needs a regressor whose predict accepts "
                "return_std=True (MCDropoutRegressor, GaussianProcessRegressor, "
                "BayesianRidge, or a Pipeline ending with one); the predict of "
                f"{type(self.estimator).__name__} does not."
            )
        return self

    def predict(self, X):
        """Predictive standard deviation of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Input rows, as the estimator takes them.

        Returns
        -------
        std : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            ``estimator.predict(X, return_std=True)[1]``.
        """
        self.fit()
        return np.asarray(self.estimator.predict(X, return_std=True)[1])

    def __sklearn_clone__(self):
        # Already fitted and never refitted: a clone would be an unfitted
        # copy of the estimator, of no use (as for FrozenEstimator).
        return self

    def __sklearn_is_fitted__(self):
        try:
            check_is_fitted(self.estimator)
        except (TypeError, ValueError):  # not an estimator, or not fitted
            return False
        return True

    @property
    def n_features_in_(self):
        """Number of features the estimator was fitted on."""
        return self.estimator.n_features_in_

    @property
    def feature_names_in_(self):
        """Names of the features the estimator was fitted on."""
        return self.estimator.feature_names_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = get_tags(self.estimator).input_tags
        tags.target_tags.required = False
        return tags
