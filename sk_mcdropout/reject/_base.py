"""What the two reject options share: parameters, the fit skeleton, scores.

:class:`BaseRejectOption` holds, once, the constraints of the shared
parameters, ``fit`` (validation, held-out scores by cross-fitting or on a
prefit estimator, threshold learning, feature passthrough), the per-row
scores of :meth:`~BaseRejectOption.rejection_scores` and the tags; a subclass
implements what differs: the target check, the per-row scores of its
estimator and the losses. The parameter descriptions they share are below,
written once.
"""

import hashlib
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit, check_cv
from sklearn.utils import Bunch, check_consistent_length, get_tags, indexable
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from .._compat import (
    Interval,
    RealNotInt,
    StrOptions,
    fit_context,
    safe_indexing,
)
from .._validation import check_sample_weight
from ._threshold import above_threshold, select_threshold

# The coverage when neither coverage nor max_risk is set.
_DEFAULT_COVERAGE = 0.9

# Parameter and attribute descriptions the two reject options share.
DOCS = dict(
    coverage="""coverage : float in (0, 1], default=None
    Target fraction of rows to accept. If ``coverage`` and ``max_risk``
    are both None, ``coverage=0.9`` is used. Set at most one of them.""",
    correction="""correction : {"fixed_sequence", "sgr"}, default="fixed_sequence"
    How ``confidence`` accounts for the many thresholds tried (see the
    Notes of :class:`RejectOptionClassifier`): Learn-then-Test's
    fixed-sequence testing, or SGR's binary search with a union bound.
    Fixed-sequence testing certifies more where the risk grows with the
    uncertainty; for a flat risk (e.g. interval misses of a well-sized
    std) ``"sgr"`` does, as fixed-sequence testing stops at its first
    failure. Choose it before seeing the calibration data.""",
    cv="""cv : int, float, cross-validation generator, iterable or "prefit", \
    default=5
    How the held-out predictions are made:

    - an int, to use that many folds (stratified for a classifier);
    - a float in (0, 1), to use a single shuffle split (stratified for a
      classifier) with this fraction of held-out rows;
    - a cross-validation generator or an iterable of (train, test) index
      arrays;
    - ``"prefit"``, as in
      :class:`~sklearn.model_selection.TunedThresholdClassifierCV`:
      ``estimator`` is already fitted and is used as is (not cloned), and
      all the data given to ``fit`` is held-out data. Prefer a
      ``FrozenEstimator``, which also survives :func:`~sklearn.base.clone`
      (as in grid searches), where ``"prefit"`` would get an unfitted
      copy.

    Except for a prefit or frozen estimator, the models fitted on the
    folds make the predictions, unless ``refit=True``.""",
    refit="""refit : bool, default=False
    Whether the estimator is refitted on all the rows once the threshold
    has been learnt, as in
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV`. By
    default the fold models make the predictions and nothing is refitted,
    as in ``CalibratedClassifierCV(ensemble=True)``: each new row is scored
    by one fold model, chosen by a hash of the row's values (so always the
    same one, whatever rows come with it), which makes the row
    exchangeable with that fold's held-out rows, and the accepted fraction
    on new data is ``coverage`` up to sampling error. It costs no extra
    pass at prediction and one fit less, but each fold model has seen only
    ``(k - 1) / k`` of the rows. With a float ``cv`` the one model fitted
    on the training part predicts every row, and a ``confidence``
    guarantee then holds as with a ``FrozenEstimator``. True refits on all
    the rows and predicts with that one model (``estimator_``; needed by
    :mod:`sk_mcdropout.export`): it was not the one the threshold was
    learnt on, and when it is more confident than the fold models (more
    rows, more optimizer steps for the same ``epochs``) it accepts more
    than ``coverage`` of new rows. Ignored for a prefit or frozen
    estimator.""",
    random_state="""random_state : int, RandomState instance or None, default=None
    Controls the shuffle split when ``cv`` is a float. The estimator's own
    randomness is set through its own parameters.""",
    n_jobs="""n_jobs : int, default=None
    Number of jobs to fit the folds in parallel. None means 1.""",
    cv_coverage_="""cv_coverage_ : float
    Fraction of the held-out rows accepted (weighted by
    ``sample_weight``).""",
    cv_risk_="""cv_risk_ : float
    Selective risk of the held-out rows accepted at ``threshold_`` (nan
    if none is accepted).""",
    risk_bound_="""risk_bound_ : float
    With ``confidence``: the certified upper bound on the selective risk
    at ``threshold_`` (at most ``max_risk``; nan when nothing could be
    certified). Without ``confidence``: nan.""",
    n_features_in_="""n_features_in_ : int
    Number of features seen during :term:`fit`. Only defined if the
    underlying estimator exposes such an attribute when fit.""",
    estimators_="""estimators_ : list of estimator instances
    With ``refit=False`` (the default) and neither a prefit nor a frozen
    estimator: the models fitted on the folds (one for a float ``cv``),
    which make the predictions; ``estimator_`` is then not set.""",
    feature_names_in_="""feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during :term:`fit`. Only defined if the
    underlying estimator exposes such an attribute when fit.""",
)


def _slice_params(params, indices, n_rows):
    """Rows ``indices`` of the per-row fit parameters, others unchanged."""
    sliced = {}
    for key, value in params.items():
        per_row = (
            hasattr(value, "__len__")
            and not isinstance(value, (str, dict))
            and len(value) == n_rows
        )
        sliced[key] = safe_indexing(value, indices) if per_row else value
    return sliced


def _fit_and_score_fold(estimator, X, y, sample_weight, fit_params, train, test, score):
    """Fit on ``train``; return ``test``, ``score(estimator, X_test)``, the model."""
    n_rows = y.shape[0]
    params = dict(fit_params)
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    params = _slice_params(params, train, n_rows)
    estimator.fit(safe_indexing(X, train), y[train], **params)
    return test, score(estimator, safe_indexing(X, test)), estimator


# Rows hashed per chunk when X is sparse, so that at most this many are dense.
_HASH_CHUNK = 1024


def _canonical_rows(values):
    """Float64 rows in which equal values have equal bytes (-0.0, NaNs)."""
    values = np.asarray(values, dtype=np.float64) + 0.0
    values[np.isnan(values)] = np.nan
    return np.ascontiguousarray(values)


def _row_digests(X):
    """A hash of each row's values: the same row gets the same hash anywhere.

    Numbers are hashed as float64, so a row hashes alike as ints, float32 or
    float64, in an array, a DataFrame or a sparse matrix; rows that are not
    all numbers by the ``repr`` of their values.
    """
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        blocks = (
            _canonical_rows(X[start : start + _HASH_CHUNK].toarray())
            for start in range(0, X.shape[0], _HASH_CHUNK)
        )
        rows = (row.tobytes() for block in blocks for row in block)
    else:
        try:
            rows = (row.tobytes() for row in _canonical_rows(X))
        except (TypeError, ValueError):
            # As Python scalars: the repr of NumPy's changed in NumPy 2.
            rows = (
                repr(
                    [v.item() if isinstance(v, np.generic) else v for v in row]
                ).encode()
                for row in np.asarray(X, dtype=object)
            )
    return [hashlib.blake2b(row, digest_size=8).digest() for row in rows]


def route_rows(X, n_models):
    """The model, in ``range(n_models)``, that scores each row of ``X``.

    Chosen by a hash of the row's values: uniform over the models, fixed for
    a row whatever rows come with it or in which order, and independent of
    how well any model does on it, so that a row routed to a fold model is
    exchangeable with that fold's held-out rows.
    """
    return np.array(
        [int.from_bytes(digest, "little") % n_models for digest in _row_digests(X)],
        dtype=np.intp,
    )


def _check_labels_known(y, classes):
    """Calibration labels must be classes the prefit estimator knows."""
    known = set(classes.tolist())
    unknown = [label for label in np.unique(y).tolist() if label not in known]
    if unknown:
        raise ValueError(
            f"y contains labels {unknown[:5]} that the prefit estimator was not "
            f"fitted on; its classes_ are {classes.tolist()[:10]}. Calibrate on "
            "labels of the same kind as those the estimator was fitted on."
        )


def _concatenate(folds):
    """One Bunch of per-row scores from the Bunches of the folds."""
    return Bunch(
        **{
            key: None
            if folds[0][key] is None
            else np.concatenate([fold[key] for fold in folds])
            for key in folds[0]
        }
    )


class BaseRejectOption(MetaEstimatorMixin, BaseEstimator):
    """Base of the reject options: learn a threshold on held-out scores.

    Subclasses implement ``_check_target(y)`` (the validated target),
    ``_row_scores(estimator, X)`` (a Bunch of ``y_pred``, ``uncertainty``,
    ``tiebreak`` and ``novelty``, the last None without a novelty guard) and
    ``_row_losses(y, scores)`` (the per-row losses and whether they are all 0
    or 1), and extend ``_check_params`` with their own cross-parameter
    checks. ``_fit_rules(scores)`` fits what a subclass adds to the threshold
    (the classifier's novelty guard and reject label).
    """

    _parameter_constraints: dict = {
        "coverage": [Interval(Real, 0, 1, closed="right"), None],
        "max_risk": [Interval(Real, 0, 1, closed="both"), None],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
        "correction": [StrOptions({"fixed_sequence", "sgr"})],
        "cv": [
            "cv_object",
            StrOptions({"prefit"}),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def _check_params(self):
        """The checks that span several parameters, in scikit-learn's words."""
        name = type(self).__name__
        if self.coverage is not None and self.max_risk is not None:
            raise ValueError(
                f"Set at most one of the 'coverage' and 'max_risk' parameters of "
                f"{name}: the threshold is chosen either for a coverage or for a "
                f"risk. Got coverage={self.coverage!r} and "
                f"max_risk={self.max_risk!r} instead."
            )
        if self.confidence is not None and self.max_risk is None:
            raise ValueError(
                f"The 'confidence' parameter of {name} is the probability that "
                "the selective risk is at most 'max_risk'; set max_risk too (a "
                "coverage target has no guarantee)."
            )

    def _is_prefit(self):
        return (isinstance(self.cv, str) and self.cv == "prefit") or isinstance(
            self.estimator, FrozenEstimator
        )

    def _fit_rules(self, scores):
        """Fit the rules a subclass adds to the threshold, from held-out scores.

        Returns the held-out rows the threshold is learnt on (those a novelty
        guard lets through), None for all.
        """
        return None

    @fit_context(
        # The estimator is a parameter of its own, validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator and learn the rejection threshold.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data, in any form the estimator accepts.

        y : array-like of shape (n_rows,)
            Target: class labels for a classifier, values for a regressor.

        sample_weight : array-like of shape (n_rows,), default=None
            Row weights, passed to the estimator's ``fit`` and used to weight
            the held-out coverage and selective risk. A Pipeline does not
            take ``sample_weight`` in ``fit``: pass it to its last step as a
            fit parameter instead (e.g. ``network__sample_weight=w``), which
            weights the fit but not the coverage and risk. Refused with
            ``confidence``: the certified bound is on unweighted rows.

        **fit_params : dict
            Further parameters for the estimator's ``fit``; those with one
            value per row are split with the folds.

        Returns
        -------
        self : object
            The fitted reject option.
        """
        self._check_params()
        X, y = indexable(X, y)
        y = self._check_target(y)
        if sample_weight is not None and self.confidence is not None:
            raise ValueError(
                "sample_weight cannot be used with confidence: the certified "
                "bound is on the selective risk of unweighted rows."
            )
        weights = (
            None
            if sample_weight is None
            else check_sample_weight(sample_weight, y.shape[0])
        )
        # A refit with other parameters must not keep the models of the last.
        for name in ("estimator_", "estimators_"):
            self.__dict__.pop(name, None)
        estimator, estimators, index, scores = self._held_out_scores(
            X, y, weights, fit_params
        )
        if estimators is None:
            self.estimator_ = estimator
        else:
            self.estimators_ = estimators
        losses, binary = self._row_losses(y[index], scores)
        passed = self._fit_rules(scores)
        coverage = self.coverage
        if coverage is None and self.max_risk is None:
            coverage = _DEFAULT_COVERAGE
        result = select_threshold(
            losses,
            scores.uncertainty,
            scores.tiebreak,
            np.ones(index.size) if weights is None else weights[index],
            coverage=coverage,
            max_risk=self.max_risk,
            confidence=self.confidence,
            binary=binary,
            method=self.correction,
            passed=passed,
            # Counted from here: fit, the validation wrapper, the caller.
            stacklevel=3,
        )
        self.threshold_ = result["threshold"]
        self.tiebreak_threshold_ = result["tiebreak"]
        self.cv_coverage_ = result["coverage"]
        self.cv_risk_ = result["risk"]
        self.risk_bound_ = result["bound"]
        first = self._predictors()[0]
        if hasattr(first, "n_features_in_"):
            self.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        return self

    def _predictors(self):
        """The fitted models that make the predictions (one unless refit=False)."""
        if hasattr(self, "estimators_"):
            return self.estimators_
        return [self.estimator_]

    def _held_out_scores(self, X, y, weights, fit_params):
        """Per-row scores of held-out rows, and the estimator that predicts.

        With a prefit or frozen estimator every row is held out and the
        estimator is used as is; otherwise out-of-fold scores of clones fitted
        on the other folds, then a clone refitted on all rows.

        Returns
        -------
        estimator : estimator instance or None
            The model that predicts; None with ``refit=False``.
        estimators : list of estimator instances or None
            With ``refit=False``, the fold models, which predict; else None.
        index : ndarray of int
            Rows of ``y`` the scores belong to.
        scores : Bunch
            ``self._row_scores`` concatenated over folds.
        """
        classifier = is_classifier(self)
        if self._is_prefit():
            check_is_fitted(self.estimator)
            if classifier:
                _check_labels_known(y, np.asarray(self.estimator.classes_))
            return (
                self.estimator,
                None,
                np.arange(y.shape[0]),
                self._row_scores(self.estimator, X),
            )
        if isinstance(self.cv, Real) and not isinstance(self.cv, Integral):
            splitter = StratifiedShuffleSplit if classifier else ShuffleSplit
            cv = splitter(n_splits=1, test_size=self.cv, random_state=self.random_state)
        else:
            cv = check_cv(self.cv, y, classifier=classifier)
        # One model fitted on the training part and used as is for new rows is
        # the calibration the guarantee is about.
        held_out = not self.refit and cv.get_n_splits(X, y) == 1
        if self.confidence is not None and not held_out:
            why = (
                "the model that predicts is refitted on all the rows, so it is "
                "not the one the threshold was certified on"
                if self.refit
                else "the folds' held-out rows are scored by different models, "
                "each fitted on the other folds' rows, so their losses are not "
                "independent draws"
            )
            warnings.warn(
                f"The guarantee of confidence={self.confidence} does not cover "
                f"cross-fitted thresholds (cv={self.cv!r}): {why}. Fit a model, "
                "wrap it in FrozenEstimator and fit this reject option on "
                "separate calibration rows, or use a float cv (with refit=False).",
                UserWarning,
                # This method, fit, the validation wrapper, the caller.
                stacklevel=4,
            )
        folds = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_score_fold)(
                clone(self.estimator),
                X,
                y,
                weights,
                fit_params,
                train,
                test,
                self._row_scores,
            )
            for train, test in cv.split(X, y)
        )
        index = np.concatenate([test for test, _, _ in folds])
        scores = _concatenate([fold_scores for _, fold_scores, _ in folds])
        if not self.refit:
            return None, [model for _, _, model in folds], index, scores
        if weights is not None:
            fit_params = {**fit_params, "sample_weight": weights}
        estimator = clone(self.estimator).fit(X, y, **fit_params)
        return estimator, None, index, scores

    def _routed(self, method, X):
        """``method(model, X)`` of the predicting model(s), rows in X's order.

        With several fold models (``refit=False``), each row goes to the one
        :func:`route_rows` picks; ``method`` returns a Bunch of per-row arrays
        (or None) or one array, and the rows' results are put back in order.
        """
        models = self._predictors()
        if len(models) == 1:
            return method(models[0], X)
        route = route_rows(X, len(models))
        if route.size == 0:
            return method(models[0], X)
        # Row subsets of any input: sparse formats without indexing become
        # CSR, array-likes arrays.
        (X,) = indexable(X)
        rows = [np.flatnonzero(route == i) for i in range(len(models))]
        parts = [
            (index, method(model, safe_indexing(X, index)))
            for model, index in zip(models, rows, strict=True)
            if index.size
        ]
        order = np.concatenate([index for index, _ in parts])

        def merge(values):
            if values[0] is None:
                return None
            merged = np.concatenate(values)
            out = np.empty_like(merged)
            out[order] = merged
            return out

        if isinstance(parts[0][1], Bunch):
            return Bunch(
                **{key: merge([part[key] for _, part in parts]) for key in parts[0][1]}
            )
        return merge([part for _, part in parts])

    def _rejected(self, scores):
        """Rows above the threshold, and rows the novelty guard catches."""
        ambiguous = above_threshold(
            scores.uncertainty,
            scores.tiebreak,
            self.threshold_,
            self.tiebreak_threshold_,
        )
        novel = np.zeros_like(ambiguous)
        if scores.novelty is not None:
            novel = scores.novelty > self.novelty_threshold_
        return ambiguous, novel

    def rejection_scores(self, X, y=None):
        """Per-row scores the rejection is decided on, higher rejected first.

        All come from one set of predictions (one set of MC passes), so they
        agree with :meth:`predict` and :meth:`reject`: a row is rejected when
        its ``(uncertainty, tiebreak)`` pair is above ``(threshold_,
        tiebreak_threshold_)`` (lexicographically), or when its ``novelty``
        is above ``novelty_threshold_``. This is what
        :meth:`RejectionCurveDisplay.from_estimator
        <sk_mcdropout.metrics.RejectionCurveDisplay.from_estimator>` plots.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        y : array-like of shape (n_rows,), default=None
            True targets; if given, ``loss`` holds each row's loss.

        Returns
        -------
        scores : :class:`~sklearn.utils.Bunch`
            With the arrays of shape (n_rows,):

            - ``uncertainty``: the score ``threshold_`` applies to (the
              ``measure`` of a classifier, the predictive std of a
              regressor);
            - ``tiebreak``: the score that orders rows tied in
              ``uncertainty`` (0 for a regressor);
            - ``novelty``: the novelty guard's ``novelty_measure``, None
              without a guard;
            - ``y_pred``: the prediction each row gets when accepted;
            - ``rejected``: True for the rows :meth:`reject` rejects;
            - ``novel``: True for those the novelty guard rejects;
            - ``loss``: with ``y``, the loss whose mean over the accepted rows
              is the selective risk (``cv_risk_`` on the held-out rows); None
              without ``y``.
        """
        check_is_fitted(self, "threshold_")
        scores = self._routed(self._row_scores, X)
        ambiguous, scores.novel = self._rejected(scores)
        scores.rejected = ambiguous | scores.novel
        scores.loss = None
        if y is not None:
            y = self._check_target(y)
            check_consistent_length(scores.rejected, y)
            scores.loss = self._row_losses(y, scores)[0]
        return scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
