"""Reject option: abstain on the rows the model is least sure about."""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit, check_cv
from sklearn.utils import get_tags, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._compat import safe_indexing
from .._measures import check_measure, classifier_scores
from .._validation import check_sample_weight
from ._threshold import above_threshold, select_threshold

_DEFAULT_COVERAGE = 0.9


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
    bools and ints into ints, and ints and floats into floats, which silently
    changes the type of the predicted labels; object keeps them as they are.
    """
    kind = classes.dtype.kind
    label_kind = np.asarray(reject_label).dtype.kind
    same_kind = (
        (kind in "iu" and label_kind in "iu")
        or (kind == "f" and label_kind in "iuf")
        or (kind in "US" and label_kind in "US")
    )
    if same_kind:
        return np.result_type(classes.dtype, np.asarray(reject_label).dtype)
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
        sliced[key] = safe_indexing(value, indices) if per_row else value
    return sliced


def _fit_and_score_fold(estimator, X, y, sample_weight, fit_params, train, test, score):
    """Fit on ``train``; return ``test`` and ``score(estimator, X_test)``."""
    n_rows = y.shape[0]
    params = dict(fit_params)
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    params = _slice_params(params, train, n_rows)
    estimator.fit(safe_indexing(X, train), y[train], **params)
    return test, score(estimator, safe_indexing(X, test))


def _held_out_scores(meta, X, y, weights, fit_params, score, classifier):
    """Per-row scores of held-out rows, and the estimator that predicts.

    With a prefit or frozen estimator every row is held out and the
    estimator is used as is; otherwise out-of-fold scores of clones fitted
    on the other folds, then a clone refitted on all rows.

    Returns
    -------
    estimator : estimator instance
    index : ndarray of int
        Rows of ``y`` the scores belong to.
    scores : tuple of ndarray
        ``score(estimator, X)`` concatenated over folds.
    """
    if _is_prefit(meta):
        check_is_fitted(meta.estimator)
        return meta.estimator, np.arange(y.shape[0]), score(meta.estimator, X)
    if meta.confidence is not None:
        warnings.warn(
            f"The guarantee of confidence={meta.confidence} does not cover "
            f"cross-fitted thresholds (cv={meta.cv!r}): the model that predicts "
            "is refitted on all the rows, so it is not the one the threshold was "
            "certified on. Fit a model, wrap it in FrozenEstimator and fit this "
            "reject option on separate calibration rows.",
            UserWarning,
            stacklevel=3,
        )
    if isinstance(meta.cv, Real) and not isinstance(meta.cv, (bool, Integral)):
        if not 0 < meta.cv < 1:
            raise ValueError(
                "A float 'cv' is the held-out fraction and must be in "
                f"(0, 1); got {meta.cv!r}."
            )
        splitter = StratifiedShuffleSplit if classifier else ShuffleSplit
        cv = splitter(n_splits=1, test_size=meta.cv, random_state=meta.random_state)
    else:
        cv = check_cv(meta.cv, y, classifier=classifier)
    folds = Parallel(n_jobs=meta.n_jobs)(
        delayed(_fit_and_score_fold)(
            clone(meta.estimator), X, y, weights, fit_params, train, test, score
        )
        for train, test in cv.split(X, y)
    )
    index = np.concatenate([fold[0] for fold in folds])
    scores = tuple(
        None if folds[0][1][i] is None else np.concatenate([f[1][i] for f in folds])
        for i in range(len(folds[0][1]))
    )
    if weights is not None:
        fit_params = {**fit_params, "sample_weight": weights}
    estimator = clone(meta.estimator).fit(X, y, **fit_params)
    return estimator, index, scores


def _is_prefit(meta):
    return (
        isinstance(meta.cv, str)
        and meta.cv == "prefit"
        or isinstance(meta.estimator, FrozenEstimator)
    )


def _check_fraction_param(value, name, *, allow_zero=False, allow_one=True):
    if value is None:
        return
    if not isinstance(value, Real) or isinstance(value, bool):
        raise ValueError(
            f"The '{name}' parameter must be a float or None; got {value!r}."
        )
    low_ok = value >= 0 if allow_zero else value > 0
    high_ok = value <= 1 if allow_one else value < 1
    if not (low_ok and high_ok):
        interval = ("[0" if allow_zero else "(0") + (", 1]" if allow_one else ", 1)")
        raise ValueError(
            f"The '{name}' parameter must be in {interval} or None; got {value!r}."
        )


def _validate_common_params(meta, *, bounded_risk=True):
    _check_fraction_param(meta.coverage, "coverage")
    if bounded_risk:
        _check_fraction_param(meta.max_risk, "max_risk", allow_zero=True)
    elif meta.max_risk is not None and (
        not isinstance(meta.max_risk, Real)
        or isinstance(meta.max_risk, bool)
        or not 0 <= meta.max_risk < np.inf
    ):
        raise ValueError(
            "The 'max_risk' parameter must be a non-negative finite float or "
            f"None; got {meta.max_risk!r}."
        )
    _check_fraction_param(meta.confidence, "confidence", allow_one=False)
    if meta.coverage is not None and meta.max_risk is not None:
        raise ValueError(
            "Set at most one of 'coverage' and 'max_risk': the threshold is "
            "chosen either for a coverage or for a risk."
        )
    if meta.correction not in ("fixed_sequence", "sgr"):
        raise ValueError(
            "The 'correction' parameter must be one of ['fixed_sequence', 'sgr']; "
            f"got {meta.correction!r}."
        )
    if meta.confidence is not None and meta.max_risk is None:
        raise ValueError(
            "'confidence' is the probability that the selective risk is at most "
            "'max_risk'; set max_risk too (a coverage target has no guarantee)."
        )
    if meta.n_jobs is not None and not isinstance(meta.n_jobs, Integral):
        raise ValueError(
            f"The 'n_jobs' parameter must be an int or None; got {meta.n_jobs!r}."
        )


def _learn_threshold(meta, losses, primary, secondary, weights, binary, passed=None):
    """Set ``threshold_``, ``tiebreak_threshold_``, ``cv_*`` and ``risk_bound_``.

    ``passed`` marks the held-out rows that the novelty guard accepts: the
    threshold is learnt on them, so a guarantee is about the rows that both
    rules accept, and a coverage target is about all rows.
    """
    coverage = meta.coverage
    if meta.coverage is None and meta.max_risk is None:
        coverage = _DEFAULT_COVERAGE
    share = 1.0
    if passed is not None:
        share = weights[passed].sum() / weights.sum()
        losses, primary, secondary, weights = (
            losses[passed],
            primary[passed],
            secondary[passed],
            weights[passed],
        )
        if coverage is not None:
            coverage = min(1.0, coverage / share)
    result = select_threshold(
        losses,
        primary,
        secondary,
        weights,
        coverage=coverage,
        max_risk=meta.max_risk,
        confidence=meta.confidence,
        method=meta.correction,
        binary=binary,
        stacklevel=4,
    )
    meta.threshold_ = result["threshold"]
    meta.tiebreak_threshold_ = result["tiebreak"]
    meta.cv_coverage_ = result["coverage"] * share
    meta.cv_risk_ = result["risk"]
    meta.risk_bound_ = result["bound"]


def _estimator_has(attr):
    def check(self):
        getattr(getattr(self, "estimator_", self.estimator), attr)
        return True

    return check


def _classifier_fold_scores(estimator, X, measure, novelty_measure):
    proba, primary, secondary, novelty = classifier_scores(
        estimator, X, measure, novelty_measure
    )
    # A fold whose training part lacks a class has fewer columns; its own
    # classes_ maps the columns back to labels.
    labels = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    return labels, primary, secondary, novelty


def _reasons(ambiguous, novel):
    reason = np.full(ambiguous.shape, "accepted", dtype="<U9")
    reason[ambiguous] = "ambiguous"
    reason[novel] = "novel"
    return reason


class RejectOptionClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Classifier that abstains on the rows its estimator is least sure about.

    A row is rejected (left to a human) when its uncertainty, as given by
    ``measure``, is above ``threshold_``, or, with a novelty guard, when its
    epistemic uncertainty is above ``novelty_threshold_``. The threshold is
    learnt on held-out predictions so that on new data the accepted fraction
    is close to ``coverage``; or is the largest coverage whose selective risk
    (the error rate among accepted rows) stays within ``max_risk``; or, with
    ``confidence``, the largest coverage whose selective risk is certified to
    be at most ``max_risk`` with that confidence.

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

        Rows that tie in the measure are ordered by a continuous score of the
        mean probabilities (see Notes).

    coverage : float in (0, 1], default=None
        Target fraction of rows to accept. If ``coverage``, ``max_risk`` are
        both None, ``coverage=0.9`` is used. Set at most one of them.

    max_risk : float in [0, 1], default=None
        Largest acceptable selective risk: the error rate among accepted rows,
        or their mean ``error_cost``. Without ``confidence`` the threshold is
        that of the largest held-out coverage whose selective risk is at most
        ``max_risk``. If none qualifies, every row is rejected and a warning
        is issued.

    confidence : float in (0, 1), default=None
        With ``max_risk``: learn the threshold so that, with probability at
        least ``confidence`` over the draw of the calibration rows, the
        selective risk on new rows is at most ``max_risk`` (see Notes for
        the assumptions). Use it with a ``FrozenEstimator`` and calibration
        rows that the model was not fitted on.

    correction : {"fixed_sequence", "sgr"}, default="fixed_sequence"
        How ``confidence`` accounts for the many thresholds tried (see
        Notes): Learn-then-Test's fixed-sequence testing, or SGR's binary
        search with a union bound. Choose it before seeing the calibration
        data.

    error_cost : dict or None, default=None
        Cost of a wrong prediction for a row of each true class, in [0, 1],
        e.g. ``{"Yes": 1.0, "No": 0.2}`` when a missed default costs five
        times a false alarm. Every class needs a cost. The selective risk is
        then the mean cost over accepted rows (correct rows cost 0). None
        means 1 for every class: the error rate.

    novelty_quantile : float in (0, 1), default=None
        Turns on the novelty guard: a row is also rejected when its
        ``novelty_measure`` is above this quantile of the held-out rows' (e.g.
        0.99 rejects about 1% of ordinary rows for that reason). The guard
        catches rows unlike the training data, which a confident network can
        place far from every decision boundary. Needs MC passes.

    novelty_measure : str, default="mutual_information"
        Epistemic uncertainty measure of the novelty guard; one of the MC
        values of ``measure``. Mutual information isolates the disagreement
        between passes, which is what grows away from the training data.

    cv : int, float, cross-validation generator, iterable or "prefit", \
            default=5
        How the held-out predictions are made:

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
        or bool labels (or one less than the smallest class when -1 is
        itself a class, e.g. -2 for classes {-1, 1}) and ``"rejected"`` for
        string labels. When it is of another kind than the classes (a string
        for integer classes, an int for bool classes, a float for integer
        classes), predictions have dtype object, so the classes keep their
        type.

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
        accepted every held-out row, ``-inf`` when ``max_risk`` could not be
        met (or certified) at any coverage.

    tiebreak_threshold_ : float
        Rows whose uncertainty equals ``threshold_`` are rejected when their
        tie-breaking score is above this.

    cv_coverage_ : float
        Fraction of the held-out rows accepted (by both rules, with the
        novelty guard).

    cv_risk_ : float
        Selective risk of the held-out rows accepted at ``threshold_``
        (nan if none is accepted).

    risk_bound_ : float
        With ``confidence``: the certified upper bound on the selective risk
        at ``threshold_`` (at most ``max_risk``; nan when nothing could be
        certified). Without ``confidence``: nan.

    novelty_threshold_ : float
        Rows whose ``novelty_measure`` is above it are rejected as novel;
        ``inf`` without a novelty guard.

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
    RejectOptionRegressor : The same for a regressor's predictive std.
    sk_mcdropout.metrics.risk_coverage_curve : The trade-off the threshold is
        chosen on.
    sklearn.model_selection.TunedThresholdClassifierCV : The same
        cross-fitting scheme, for the decision threshold.

    Notes
    -----
    **Ranking and ties.** Held-out rows are ranked by uncertainty; rows with
    equal uncertainty are ranked by a second, continuous score (one minus the
    largest mean probability for the MC measures, the entropy of the
    probabilities for ``max_probability``), so a coverage target is met even
    for the variation ratio, whose 100 passes often all agree. Only rows
    equal in both scores are accepted or rejected together; if such a group
    makes the held-out coverage exceed ``coverage`` by more than 0.01, a
    warning says so. On new data a row is accepted when its (uncertainty,
    tie-breaker) pair is at most (``threshold_``, ``tiebreak_threshold_``).

    **The guarantee** (``max_risk`` with ``confidence``). For each candidate
    threshold, an exact one-sided Clopper-Pearson upper bound on the error
    rate of the accepted calibration rows (a Hoeffding-Bentkus bound when
    ``error_cost`` has costs other than 0 and 1); the candidates are tested
    in order of increasing coverage from a start fixed in advance (a tenth
    of the calibration rows, or more if even an error-free sample that small
    could not be certified), Learn-then-Test's fixed-sequence testing
    (Angelopoulos et al., 2021), and the last one certified before the first
    failure is kept. Fixed-sequence testing spends the whole
    ``1 - confidence`` on every test, where SGR's binary search (Geifman and
    El-Yaniv, 2017) splits it over about ``log2(n_rows)`` tests (a union
    bound); on ISLR Default with 2,000 calibration rows this gives a larger
    certified coverage (see ``benchmarks/bench_guaranteed_risk.py``:
    95% of the hindsight-best coverage at ``max_risk=0.01``, against 89%).
    Fixed-sequence testing stops at its first failure, so it is weaker when
    the risk hardly grows with the coverage (an uncertainty that does not
    rank errors, or interval misses of a well-sized regression std): there
    ``correction="sgr"`` certified more (99% against 74% of the rows for a
    flat risk of 0.1 and ``max_risk=0.15``). The
    guarantee assumes that the calibration rows and the new rows are
    independent draws from the same distribution (exchangeable), that the
    model was fitted on other rows and does not change afterwards (a
    ``FrozenEstimator`` or ``cv="prefit"``), and it holds over the draw of
    the calibration set: in at most ``1 - confidence`` of calibration sets
    the risk on new rows exceeds ``max_risk``. It is about the average over
    new rows, not each batch, and it does not survive a shift in the data.
    Thresholds learnt with cross-fitting (``cv=5`` or a float) are **not**
    covered: the model that predicts is refitted on all rows (a warning
    says so). ``sample_weight`` is refused with ``confidence``: the bound is
    on unweighted rows. When no threshold can be certified, every row is
    rejected and a warning says why.

    **Without confidence** nothing is guaranteed on new data: with
    ``max_risk`` the largest qualifying coverage is picked among many, which
    favours lucky points, so expect the selective risk on new data to exceed
    ``max_risk`` about half of the time when it binds.

    **Novelty guard.** With ``novelty_quantile``, the risk or coverage
    threshold is learnt on the held-out rows the guard accepts, and
    ``cv_coverage_`` counts the rows both rules accept; :meth:`reject` with
    ``return_reason=True`` tells "ambiguous" rows (above ``threshold_``) from
    "novel" ones (above ``novelty_threshold_``).

    ``predict`` returns the argmax of the probabilities the measure was
    computed from (for an MC measure, the mean of the same passes), which for
    most classifiers is what their own ``predict`` returns. :meth:`score` is
    the inherited accuracy, in which a rejected row counts as an error.

    References
    ----------
    .. [1] Y. Geifman and R. El-Yaniv, "Selective Classification for Deep
       Neural Networks", NeurIPS 2017 (SGR).
    .. [2] A. N. Angelopoulos, S. Bates, E. J. Candes, M. I. Jordan and
       L. Lei, "Learn then Test: Calibrating Predictive Algorithms to Achieve
       Risk Control", 2021.
    .. [3] S. Bates, A. Angelopoulos, L. Lei, J. Malik and M. I. Jordan,
       "Distribution-Free, Risk-Controlling Prediction Sets", JACM 2021
       (Hoeffding-Bentkus bound).

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

    A certified selective risk needs a fitted model and calibration rows:

    >>> from sklearn.frozen import FrozenEstimator
    >>> X_fit, X_cal, y_fit, y_cal = train_test_split(
    ...     X_train, y_train, random_state=0)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_fit, y_fit)
    >>> safe = RejectOptionClassifier(
    ...     FrozenEstimator(model), max_risk=0.05, confidence=0.9
    ... ).fit(X_cal, y_cal)
    >>> print(f"bound {safe.risk_bound_:.3f} at coverage {safe.cv_coverage_:.3f}")
    bound 0.031 at coverage 0.673
    """

    def __init__(
        self,
        estimator,
        *,
        measure="max_probability",
        coverage=None,
        max_risk=None,
        confidence=None,
        correction="fixed_sequence",
        error_cost=None,
        novelty_quantile=None,
        novelty_measure="mutual_information",
        cv=5,
        reject_label=None,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.measure = measure
        self.coverage = coverage
        self.max_risk = max_risk
        self.confidence = confidence
        self.correction = correction
        self.error_cost = error_cost
        self.novelty_quantile = novelty_quantile
        self.novelty_measure = novelty_measure
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
        check_measure(self.measure)
        _validate_common_params(self)
        _check_fraction_param(
            self.novelty_quantile, "novelty_quantile", allow_one=False
        )
        if self.novelty_quantile is not None:
            check_measure(self.novelty_measure, "novelty_measure")
        if self.error_cost is not None:
            if not isinstance(self.error_cost, dict):
                raise ValueError(
                    "The 'error_cost' parameter must be a dict mapping each class "
                    f"to a cost in [0, 1], or None; got {self.error_cost!r}."
                )
            for label, cost in self.error_cost.items():
                if (
                    not isinstance(cost, Real)
                    or isinstance(cost, bool)
                    or not 0 <= cost <= 1
                ):
                    raise ValueError(
                        "The 'error_cost' parameter must map each class to a "
                        f"cost in [0, 1]; got {cost!r} for class {label!r}."
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

    def _row_costs(self, y, classes):
        """Cost of an error on each row, and whether costs are 0/1 only."""
        if self.error_cost is None:
            return np.ones(y.shape[0]), True
        known = {label: cost for label, cost in self.error_cost.items()}
        missing = [c for c in classes.tolist() if c not in known]
        if missing:
            raise ValueError(
                f"error_cost has no cost for the classes {missing}; give one "
                f"for each of {classes.tolist()}."
            )
        costs = np.array([float(known[label]) for label in y.tolist()])
        binary = bool(np.all((costs == 0) | (costs == 1)))
        return costs, binary

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
            the held-out coverage and selective risk. A Pipeline does not
            take ``sample_weight`` in ``fit``: pass it to its last step as a
            fit parameter instead (e.g. ``network__sample_weight=w``), which
            weights the fit but not the coverage and risk. Refused with
            ``confidence``.

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
        if sample_weight is not None and self.confidence is not None:
            raise ValueError(
                "sample_weight cannot be used with confidence: the certified "
                "bound is on the error rate of unweighted rows."
            )
        weights = (
            None
            if sample_weight is None
            else check_sample_weight(sample_weight, n_rows)
        )
        if _is_prefit(self):
            check_is_fitted(self.estimator)
            _check_labels_known(y, np.asarray(self.estimator.classes_))
        novelty_measure = (
            None if self.novelty_quantile is None else self.novelty_measure
        )
        score = partial(
            _classifier_fold_scores,
            measure=self.measure,
            novelty_measure=novelty_measure,
        )
        self.estimator_, index, (labels, primary, secondary, novelty) = (
            _held_out_scores(self, X, y, weights, fit_params, score, classifier=True)
        )
        classes = np.asarray(self.estimator_.classes_)
        costs, binary = self._row_costs(y, classes)
        held_out_weights = np.ones(index.size) if weights is None else weights[index]
        losses = (labels != y[index]) * costs[index]
        passed = None
        self.novelty_threshold_ = np.inf
        if novelty is not None:
            self.novelty_threshold_ = float(
                np.quantile(novelty, self.novelty_quantile, method="inverted_cdf")
            )
            passed = novelty <= self.novelty_threshold_
        _learn_threshold(
            self, losses, primary, secondary, held_out_weights, binary, passed
        )

        self.reject_label_ = self._resolve_reject_label(classes)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    @property
    def classes_(self):
        """Class labels of the fitted estimator."""
        return self.estimator_.classes_

    def _predict_with_reasons(self, X):
        check_is_fitted(self, "threshold_")
        novelty_measure = (
            None if self.novelty_quantile is None else self.novelty_measure
        )
        proba, primary, secondary, novelty = classifier_scores(
            self.estimator_, X, self.measure, novelty_measure
        )
        labels = np.asarray(self.classes_)[proba.argmax(axis=1)]
        ambiguous = above_threshold(
            primary, secondary, self.threshold_, self.tiebreak_threshold_
        )
        novel = (
            np.zeros_like(ambiguous)
            if novelty is None
            else novelty > self.novelty_threshold_
        )
        return labels, ambiguous, novel

    def reject(self, X, *, return_reason=False):
        """Tell which rows are rejected, and why.

        Each call makes its own predictions (all the MC passes for an MC
        measure). To get labels and mask from one set of passes, call
        :meth:`predict` and compare its output with ``reject_label_``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        return_reason : bool, default=False
            If True, return why each row is rejected instead of a mask.

        Returns
        -------
        rejected : ndarray of shape (n_rows,), dtype=bool or str
            True for the rejected rows. With ``return_reason=True``:
            ``"accepted"``, ``"ambiguous"`` (uncertainty above
            ``threshold_``) or ``"novel"`` (caught by the novelty guard,
            whatever its other uncertainty).
        """
        _, ambiguous, novel = self._predict_with_reasons(X)
        if return_reason:
            return _reasons(ambiguous, novel)
        return ambiguous | novel

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
        labels, ambiguous, novel = self._predict_with_reasons(X)
        y_pred = labels.astype(_output_dtype(labels, self.reject_label_))
        y_pred[ambiguous | novel] = self.reject_label_
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
