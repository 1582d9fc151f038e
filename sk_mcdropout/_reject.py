"""Reject option: abstain on the rows the model is least sure about."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedShuffleSplit, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .metrics import _check_sample_weight, _curve, _index_at_coverage, _index_at_risk
from .uncertainty import _MEASURES

_DEFAULT_COVERAGE = 0.9


def _check_measure(measure):
    if not isinstance(measure, str) or measure not in _MEASURES:
        raise ValueError(
            f"The 'measure' parameter must be one of {sorted(_MEASURES)}; "
            f"got {measure!r}."
        )


def _proba_samples(estimator, X):
    """MC passes of ``estimator`` on ``X``, through Pipelines and freezing.

    Pipeline and FrozenEstimator only forward the standard prediction methods,
    so ``predict_proba_samples`` of a final MCDropoutClassifier step is reached
    by transforming X through the preceding steps by hand.
    """
    if hasattr(estimator, "predict_proba_samples"):
        return estimator.predict_proba_samples(X)
    inner = estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator
    if isinstance(inner, Pipeline):
        return _proba_samples(inner[-1], inner[:-1].transform(X))
    if inner is not estimator:
        return _proba_samples(inner, X)
    raise ValueError(
        "This measure needs Monte Carlo passes: the estimator (or the last step "
        "of its Pipeline) must have a predict_proba_samples method, such as "
        f"MCDropoutClassifier; {type(estimator).__name__} has none. Use "
        "measure='max_probability' for a classifier with only predict_proba."
    )


def _proba_and_uncertainty(estimator, X, measure):
    """Mean class probabilities and the chosen uncertainty of each row.

    Both come from the same predictions (one set of MC passes), so the labels
    derived from the probabilities and the uncertainty used to reject them
    cannot disagree.
    """
    function, needs_samples = _MEASURES[measure]
    if needs_samples:
        samples = np.asarray(_proba_samples(estimator, X), dtype=np.float64)
        return samples.mean(axis=0), function(samples)
    proba = np.asarray(estimator.predict_proba(X))
    return proba, function(proba)


def _default_reject_label(classes):
    numeric = classes.dtype.kind in "iufb" or (
        classes.dtype.kind == "O" and all(isinstance(c, Real) for c in classes)
    )
    if not numeric:
        return "rejected"
    if classes.dtype.kind == "b" or -1 not in classes.tolist():
        return -1
    smallest = classes.min()
    return int(smallest) - 1 if float(smallest).is_integer() else smallest - 1


def _output_dtype(classes, reject_label):
    """A dtype that holds both the class labels and ``reject_label``.

    numpy would turn ints and strings into strings ("0", "1", "rejected"),
    which silently changes the type of the predicted labels; object keeps
    them as they are.
    """
    label = np.asarray(reject_label)
    for kinds in ("iufb", "US"):
        if classes.dtype.kind in kinds and label.dtype.kind in kinds:
            return np.result_type(classes.dtype, label.dtype)
    return np.dtype(object)


def _slice_params(params, indices, n_rows):
    """Rows ``indices`` of the per-row fit parameters, others unchanged."""
    sliced = {}
    for key, value in params.items():
        per_row = (
            hasattr(value, "__len__")
            and not isinstance(value, (str, dict))
            and len(value) == n_rows
        )
        sliced[key] = _safe_indexing(value, indices) if per_row else value
    return sliced


def _fit_and_score_fold(
    estimator, X, y, sample_weight, fit_params, train, test, measure
):
    """Fit on ``train``; return labels and uncertainty on ``test``."""
    n_rows = y.shape[0]
    params = dict(fit_params)
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    params = _slice_params(params, train, n_rows)
    estimator.fit(_safe_indexing(X, train), y[train], **params)
    proba, uncertainty = _proba_and_uncertainty(
        estimator, _safe_indexing(X, test), measure
    )
    # A fold whose training part lacks a class has fewer columns; its own
    # classes_ maps the columns back to labels.
    labels = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    return test, labels, uncertainty


def _estimator_has(attr):
    def check(self):
        getattr(getattr(self, "estimator_", self.estimator), attr)
        return True

    return check


class RejectOptionClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Classifier that abstains on the rows its estimator is least sure about.

    A row is rejected (left to a human) when its uncertainty, as given by
    ``measure``, is above ``threshold_``. The threshold is learnt on
    out-of-fold predictions so that on new data the accepted fraction is
    close to ``coverage``, or is the largest coverage whose selective error
    (the error rate among accepted rows) stays within ``max_risk``.

    Read the Notes on what is and is not guaranteed.

    Parameters
    ----------
    estimator : estimator instance
        The classifier, with ``predict_proba``. The MC measures also need
        ``predict_proba_samples`` (:class:`MCDropoutClassifier`, or a Pipeline
        that ends with one). It may be a
        :class:`~sklearn.frozen.FrozenEstimator` wrapping a fitted
        classifier: the data given to ``fit`` is then only used, in full, to
        learn the threshold, and ``cv`` is ignored.

    measure : str, default="max_probability"
        Uncertainty measure, higher meaning less sure. One of:

        - ``"max_probability"``: one minus the largest class probability; any
          classifier with ``predict_proba``.
        - ``"predictive_entropy"``, ``"mutual_information"``,
          ``"variation_ratio"``, ``"predicted_class_std"``: computed from the
          MC passes, see :mod:`sk_mcdropout.uncertainty`.

    coverage : float in (0, 1], default=None
        Target fraction of rows to accept. The threshold is the smallest
        out-of-fold uncertainty at which at least this fraction is accepted.
        If both ``coverage`` and ``max_risk`` are None, ``coverage=0.9`` is
        used. Set at most one of them.

    max_risk : float in [0, 1], default=None
        Largest acceptable selective error. The threshold is that of the
        largest out-of-fold coverage whose selective error is at most
        ``max_risk``. If no coverage qualifies, every row is rejected and a
        warning is issued.

    cv : int, float, cross-validation generator, iterable or "prefit", \
            default=5
        How the out-of-fold predictions are made:

        - an int, to use that many stratified folds;
        - a float in (0, 1), to use a single stratified shuffle split with
          this fraction of held-out rows;
        - a cross-validation generator or an iterable of (train, test) index
          arrays;
        - ``"prefit"``, as in
          :class:`~sklearn.model_selection.TunedThresholdClassifierCV`:
          ``estimator`` is already fitted and is used as is (not cloned), and
          all the data given to ``fit`` is held-out data. Prefer a
          ``FrozenEstimator``, which also survives :func:`~sklearn.base.clone`
          (as in grid searches), where ``"prefit"`` would get an unfitted
          copy.

        Except for a prefit or frozen estimator, ``estimator`` is refitted on
        all the data after the threshold has been learnt, and that refitted
        copy makes the predictions.

    reject_label : int, float, str or None, default=None
        The label :meth:`predict` returns for rejected rows. It must not be
        one of the classes. None chooses one from the classes: -1 for numeric
        labels (or one less than the smallest class when -1 is itself a
        class, e.g. -2 for classes {-1, 1}) and ``"rejected"`` for string
        labels. When it is of another kind than the classes (a string for
        integer classes), predictions have dtype object.

    random_state : int, RandomState instance or None, default=None
        Controls the shuffle split when ``cv`` is a float. The estimator's own
        randomness is set through its own parameters.

    n_jobs : int, default=None
        Number of jobs to fit the folds in parallel. None means 1.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted classifier that makes the predictions.

    threshold_ : float
        Rows with uncertainty above it are rejected. ``inf`` when the rule
        accepted every out-of-fold row, ``-inf`` when ``max_risk`` could not
        be met at any coverage.

    cv_coverage_ : float
        Fraction of the out-of-fold rows accepted at ``threshold_``; with
        ties it can exceed ``coverage``.

    cv_risk_ : float
        Selective error of the out-of-fold rows accepted at ``threshold_``
        (nan if none is accepted).

    reject_label_ : int, float or str
        The label given to rejected rows.

    classes_ : ndarray of shape (n_classes,)
        The class labels (without ``reject_label_``).

    n_features_in_ : int
        Number of features seen during :term:`fit`. Only defined if the
        underlying estimator exposes such an attribute when fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Only defined if the
        underlying estimator exposes such an attribute when fit.

    See Also
    --------
    sk_mcdropout.metrics.risk_coverage_curve : The trade-off the threshold is
        chosen on.
    sklearn.model_selection.TunedThresholdClassifierCV : The same
        cross-fitting scheme, for the decision threshold.

    Notes
    -----
    The out-of-fold rows are ranked by uncertainty and accepted in that order;
    rows with equal uncertainty are accepted or rejected together, exactly as
    in :func:`~sk_mcdropout.metrics.risk_coverage_curve`. On new data a row is
    accepted when its uncertainty is at most ``threshold_``.

    Nothing is guaranteed on new data. The threshold is estimated on the
    out-of-fold predictions of models fitted on part of the data, while
    predictions come from a model refitted on all of it, which is usually a
    little more confident: the accepted fraction on new data is close to,
    not exactly, ``coverage``. With ``max_risk`` the largest qualifying
    coverage is picked among many, which favours lucky points: expect the
    selective error on new data to exceed ``max_risk`` about half of the time
    when it binds. For a statistical guarantee, calibrate the threshold with
    a risk-control method such as MAPIE's ``BinaryClassificationController``.

    ``predict`` returns the argmax of the probabilities the measure was
    computed from (for an MC measure, the mean of the same passes), which for
    most classifiers is what their own ``predict`` returns. :meth:`score` is
    the inherited accuracy, in which a rejected row counts as an error.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_mcdropout import RejectOptionClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = RejectOptionClassifier(
    ...     make_pipeline(StandardScaler(), LogisticRegression()), coverage=0.9
    ... ).fit(X_train, y_train)
    >>> print(f"{clf.cv_coverage_:.3f} of the out-of-fold rows accepted")
    0.901 of the out-of-fold rows accepted
    >>> rejected = clf.reject(X_test)
    >>> print(f"{1 - rejected.mean():.3f} of the test rows accepted")
    0.867 of the test rows accepted
    >>> y_pred = clf.predict(X_test)
    >>> error_all = (clf.estimator_.predict(X_test) != y_test).mean()
    >>> error_accepted = (y_pred != y_test)[~rejected].mean()
    >>> print(f"error {error_all:.3f} on all rows, {error_accepted:.3f} on accepted")
    error 0.042 on all rows, 0.008 on accepted
    >>> sorted(set(y_pred[rejected].tolist()))
    [-1]
    """

    def __init__(
        self,
        estimator,
        *,
        measure="max_probability",
        coverage=None,
        max_risk=None,
        cv=5,
        reject_label=None,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.measure = measure
        self.coverage = coverage
        self.max_risk = max_risk
        self.cv = cv
        self.reject_label = reject_label
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _validate_params(self):
        if not hasattr(self.estimator, "fit") or not hasattr(
            self.estimator, "predict_proba"
        ):
            raise ValueError(
                "The 'estimator' parameter must be a classifier with fit and "
                f"predict_proba methods; got {self.estimator!r}."
            )
        _check_measure(self.measure)
        for name, allow_zero in (("coverage", False), ("max_risk", True)):
            value = getattr(self, name)
            if value is None:
                continue
            low_ok = value >= 0 if allow_zero else value > 0
            if not isinstance(value, Real) or isinstance(value, bool):
                raise ValueError(
                    f"The '{name}' parameter must be a float or None; got {value!r}."
                )
            if not (low_ok and value <= 1):
                interval = "[0, 1]" if allow_zero else "(0, 1]"
                raise ValueError(
                    f"The '{name}' parameter must be in {interval} or None; "
                    f"got {value!r}."
                )
        if self.coverage is not None and self.max_risk is not None:
            raise ValueError(
                "Set at most one of 'coverage' and 'max_risk': the threshold is "
                "chosen either for a coverage or for a risk."
            )
        if self.n_jobs is not None and not isinstance(self.n_jobs, Integral):
            raise ValueError(
                f"The 'n_jobs' parameter must be an int or None; got {self.n_jobs!r}."
            )

    def _resolve_reject_label(self, classes):
        if self.reject_label is None:
            label = _default_reject_label(classes)
            if label in classes.tolist():
                raise ValueError(
                    f"The default reject_label {label!r} is one of the classes; "
                    "set reject_label to a value that is not a class."
                )
            return label
        if self.reject_label in classes.tolist():
            raise ValueError(
                f"reject_label={self.reject_label!r} is one of the classes "
                f"{classes.tolist()}; rejected rows could not be told apart from "
                "predictions. Choose a label that is not a class."
            )
        return self.reject_label

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator and learn the rejection threshold.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data, in any form the estimator accepts.

        y : array-like of shape (n_rows,)
            Target labels.

        sample_weight : array-like of shape (n_rows,), default=None
            Row weights, passed to the estimator's ``fit`` and used to weight
            the out-of-fold coverage and selective error. A Pipeline does not
            take ``sample_weight`` in ``fit``: pass it to its last step as a
            fit parameter instead (e.g. ``network__sample_weight=w``), which
            weights the fit but not the coverage and error.

        **fit_params : dict
            Further parameters for the estimator's ``fit``; those with one
            value per row are split with the folds.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        self._validate_params()
        X, y = indexable(X, y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        n_rows = y.shape[0]
        weights = (
            None
            if sample_weight is None
            else _check_sample_weight(sample_weight, n_rows)
        )

        prefit = self.cv == "prefit" or isinstance(self.estimator, FrozenEstimator)
        if prefit:
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            proba, uncertainty = _proba_and_uncertainty(
                self.estimator_, X, self.measure
            )
            oof_labels = np.asarray(self.estimator_.classes_)[proba.argmax(axis=1)]
            oof_index = np.arange(n_rows)
        else:
            if isinstance(self.cv, Real) and not isinstance(self.cv, (bool, Integral)):
                if not 0 < self.cv < 1:
                    raise ValueError(
                        "A float 'cv' is the held-out fraction and must be in "
                        f"(0, 1); got {self.cv!r}."
                    )
                cv = StratifiedShuffleSplit(
                    n_splits=1, test_size=self.cv, random_state=self.random_state
                )
            else:
                cv = check_cv(self.cv, y, classifier=True)
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_and_score_fold)(
                    clone(self.estimator),
                    X,
                    y,
                    weights,
                    fit_params,
                    train,
                    test,
                    self.measure,
                )
                for train, test in cv.split(X, y)
            )
            oof_index = np.concatenate([fold[0] for fold in folds])
            oof_labels = np.concatenate([fold[1] for fold in folds])
            uncertainty = np.concatenate([fold[2] for fold in folds])
            if weights is not None:
                fit_params = {**fit_params, "sample_weight": weights}
            self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)

        oof_weights = np.ones(oof_index.size) if weights is None else weights[oof_index]
        errors = (oof_labels != y[oof_index]).astype(np.float64)
        self._set_threshold(errors, np.asarray(uncertainty, float), oof_weights)

        classes = np.asarray(self.estimator_.classes_)
        self.reject_label_ = self._resolve_reject_label(classes)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _set_threshold(self, errors, uncertainty, weights):
        coverage, risk, thresholds = _curve(errors, uncertainty, weights)
        if self.max_risk is not None:
            idx = _index_at_risk(coverage, risk, self.max_risk)
            if idx is None:
                warnings.warn(
                    f"No coverage reaches a selective error of at most "
                    f"max_risk={self.max_risk} on the out-of-fold predictions "
                    f"(the most certain rows already have {risk[0]:.3g}); every "
                    "row will be rejected.",
                    UserWarning,
                    stacklevel=3,
                )
                self.threshold_ = -np.inf
                self.cv_coverage_ = 0.0
                self.cv_risk_ = np.nan
                return
        else:
            target = _DEFAULT_COVERAGE if self.coverage is None else self.coverage
            idx = _index_at_coverage(coverage, target)
        # Every out-of-fold row accepted: no evidence to reject anything, so
        # new rows more uncertain than all of them are accepted too.
        last = idx == coverage.size - 1
        self.threshold_ = np.inf if last else float(thresholds[idx])
        self.cv_coverage_ = float(coverage[idx])
        self.cv_risk_ = float(risk[idx])

    @property
    def classes_(self):
        """Class labels of the fitted estimator."""
        return self.estimator_.classes_

    def _predict_with_mask(self, X):
        check_is_fitted(self, "threshold_")
        proba, uncertainty = _proba_and_uncertainty(self.estimator_, X, self.measure)
        labels = np.asarray(self.classes_)[proba.argmax(axis=1)]
        return labels, uncertainty > self.threshold_

    def reject(self, X):
        """Tell which rows are rejected.

        Each call makes its own predictions (all the MC passes for an MC
        measure). To get labels and mask from one set of passes, call
        :meth:`predict` and compare its output with ``reject_label_``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        rejected : ndarray of shape (n_rows,), dtype=bool
            True for the rows whose uncertainty is above ``threshold_``.
        """
        return self._predict_with_mask(X)[1]

    def predict(self, X):
        """Predict labels, with ``reject_label_`` for rejected rows.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            Predicted class of the accepted rows and ``reject_label_`` for the
            rejected ones.
        """
        labels, rejected = self._predict_with_mask(X)
        y_pred = labels.astype(_output_dtype(labels, self.reject_label_))
        y_pred[rejected] = self.reject_label_
        return y_pred

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the estimator, rejected rows included.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            ``estimator_.predict_proba(X)``.
        """
        check_is_fitted(self, "threshold_")
        return self.estimator_.predict_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
