"""Reject option for classifiers: abstain on the rows the model is least sure about."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import Bunch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._compat import HasMethods, Interval, StrOptions
from .._docstrings import Substitution
from .._measures import MEASURES, classifier_scores
from ._base import DOCS, BaseRejectOption


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


def _estimator_has(attr):
    def check(self):
        getattr(getattr(self, "estimator_", self.estimator), attr)
        return True

    return check


@Substitution(**DOCS)
class RejectOptionClassifier(ClassifierMixin, BaseRejectOption):
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

    {coverage}

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

    {correction}

    error_cost : dict or None, default=None
        Cost of a wrong prediction for a row of each true class, in [0, 1],
        e.g. ``{{"Yes": 1.0, "No": 0.2}}`` when a missed default costs five
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

    {cv}

    {refit}

    reject_label : int, float, str or None, default=None
        The label :meth:`predict` returns for rejected rows. It must not be
        one of the classes. None chooses one from the classes: -1 for numeric
        or bool labels (or one less than the smallest class when -1 is
        itself a class, e.g. -2 for classes {{-1, 1}}) and ``"rejected"`` for
        string labels. When it is of another kind than the classes (a string
        for integer classes, an int for bool classes, a float for integer
        classes), predictions have dtype object, so the classes keep their
        type.

    {random_state}

    {n_jobs}

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted classifier that makes the predictions: the prefit or
        frozen one, or the one refitted on all rows with ``refit=True``. Not
        set when the fold models predict (see ``estimators_``).

    {estimators_}

    threshold_ : float
        Rows with uncertainty above it are rejected. ``inf`` when the rule
        accepted every held-out row, ``-inf`` when ``max_risk`` could not be
        met (or certified) at any coverage.

    tiebreak_threshold_ : float
        Rows whose uncertainty equals ``threshold_`` are rejected when their
        tie-breaking score is above this.

    {cv_coverage_}

    {cv_risk_}

    {risk_bound_}

    novelty_threshold_ : float
        Rows whose ``novelty_measure`` is above it are rejected as novel;
        ``inf`` without a novelty guard.

    reject_label_ : int, float or str
        The label given to rejected rows.

    classes_ : ndarray of shape (n_classes,)
        The class labels (without ``reject_label_``).

    {n_features_in_}

    {feature_names_in_}

    See Also
    --------
    RejectOptionRegressor : The same for a regressor's predictive std.
    sk_mcdropout.metrics.RejectionCurveDisplay : Its risk-coverage curve and
        operating point, from :meth:`rejection_scores`.
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
    tie-breaker) pair is at most (``threshold_``, ``tiebreak_threshold_``):
    :meth:`rejection_scores` gives both scores of each row, and
    :class:`~sk_mcdropout.metrics.RejectionCurveDisplay` draws the curve of
    the same ranking.

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
    Thresholds learnt with cross-fitting (``cv=5``) are **not** covered (a
    warning says so): the fold models predict, but the held-out losses of
    the folds are not independent draws (and with ``refit=True`` the model
    that predicts was refitted on all rows). A float ``cv`` with the
    default ``refit=False`` is covered: one model, fitted on the training
    part, is calibrated on the held-out part and predicts as it is.
    ``sample_weight`` is refused with ``confidence``: the bound is on
    unweighted rows. When no threshold can be certified, every row is
    rejected and a warning says why.

    **Without confidence** nothing is guaranteed on new data: with
    ``max_risk`` the largest qualifying coverage is picked among many, which
    favours lucky points, so expect the selective risk on new data to exceed
    ``max_risk`` about half of the time when it binds.

    **Novelty guard.** With ``novelty_quantile``, the risk or coverage
    threshold is learnt on the held-out rows the guard accepts, and
    ``cv_coverage_`` counts the rows both rules accept; :meth:`reject` with
    ``return_reason=True`` tells "ambiguous" rows (above ``threshold_``) from
    "novel" ones (above ``novelty_threshold_``). The guard's quantile is
    of the held-out rows, unweighted.

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
    >>> print(f"{{clf.cv_coverage_:.2f}} of the out-of-fold rows accepted")
    0.90 of the out-of-fold rows accepted
    >>> rejected = clf.reject(X_test)
    >>> print(f"{{1 - rejected.mean():.2g}} of the test rows accepted")
    0.85 of the test rows accepted
    >>> y_pred = clf.predict(X_test)
    >>> error_all = (clf.predict_proba(X_test).argmax(axis=1) != y_test).mean()
    >>> error_accepted = (y_pred != y_test)[~rejected].mean()
    >>> print(f"error {{error_all:.2g}} on all, {{error_accepted:.2g}} on accepted")
    error 0.028 on all, 0 on accepted
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
    >>> print(f"bound {{safe.risk_bound_:.2g}} at coverage {{safe.cv_coverage_:.2g}}")
    bound 0.031 at coverage 0.67
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
        refit=False,
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
        self.refit = refit
        self.reject_label = reject_label
        self.random_state = random_state
        self.n_jobs = n_jobs

    _parameter_constraints: dict = {
        **BaseRejectOption._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "measure": [StrOptions(set(MEASURES))],
        "error_cost": [dict, None],
        "novelty_quantile": [Interval(Real, 0, 1, closed="neither"), None],
        "novelty_measure": [StrOptions(set(MEASURES))],
        "reject_label": [Real, str, "boolean", None],
    }

    def _check_params(self):
        super()._check_params()
        for label, cost in (self.error_cost or {}).items():
            if (
                not isinstance(cost, Real)
                or isinstance(cost, bool)
                or not 0 <= cost <= 1
            ):
                raise ValueError(
                    "The 'error_cost' parameter of RejectOptionClassifier must map "
                    f"each class to a cost in [0, 1]. Got {cost!r} for class "
                    f"{label!r} instead."
                )

    def _check_target(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _row_scores(self, estimator, X):
        novelty_measure = (
            None if self.novelty_quantile is None else self.novelty_measure
        )
        proba, uncertainty, tiebreak, novelty = classifier_scores(
            estimator, X, self.measure, novelty_measure
        )
        # A fold whose training part lacks a class has fewer columns; its own
        # classes_ maps the columns back to labels.
        y_pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
        return Bunch(
            y_pred=y_pred, uncertainty=uncertainty, tiebreak=tiebreak, novelty=novelty
        )

    def _row_losses(self, y, scores):
        """The cost of each row's error (0 when right); whether costs are 0/1."""
        if self.error_cost is None:
            return (scores.y_pred != y).astype(np.float64), True
        classes = np.asarray(self.classes_).tolist()
        missing = [c for c in classes if c not in self.error_cost]
        if missing:
            raise ValueError(
                "The 'error_cost' parameter of RejectOptionClassifier must give a "
                f"cost for each class of {classes}. Got none for the classes "
                f"{missing} instead."
            )
        costs = np.array([float(self.error_cost[label]) for label in y.tolist()])
        binary = bool(np.all((costs == 0) | (costs == 1)))
        return (scores.y_pred != y) * costs, binary

    def _fit_rules(self, scores):
        self.reject_label_ = self._resolve_reject_label(np.asarray(self.classes_))
        self.novelty_threshold_ = np.inf
        if scores.novelty is None:
            return None
        self.novelty_threshold_ = float(
            np.quantile(scores.novelty, self.novelty_quantile, method="inverted_cdf")
        )
        return scores.novelty <= self.novelty_threshold_

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

    @property
    def classes_(self):
        """Class labels of the fitted estimator (of all the fold models)."""
        models = self._predictors()
        if len(models) == 1:
            return models[0].classes_
        return np.unique(np.concatenate([np.asarray(m.classes_) for m in models]))

    def reject(self, X, *, return_reason=False):
        """Tell which rows are rejected, and why.

        Each call makes its own predictions (all the MC passes for an MC
        measure). To get labels and mask from one set of passes, call
        :meth:`predict` and compare its output with ``reject_label_``, or
        read both from :meth:`rejection_scores`.

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
        scores = self.rejection_scores(X)
        if not return_reason:
            return scores.rejected
        reason = np.full(scores.rejected.shape, "accepted", dtype="<U9")
        reason[scores.rejected] = "ambiguous"
        reason[scores.novel] = "novel"
        return reason

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
        scores = self.rejection_scores(X)
        y_pred = scores.y_pred.astype(_output_dtype(scores.y_pred, self.reject_label_))
        y_pred[scores.rejected] = self.reject_label_
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
            ``estimator_.predict_proba(X)``; with ``refit=False``, each row's
            from the fold model that scores it (0 for a class that model was
            not fitted on).
        """
        check_is_fitted(self, "threshold_")
        if len(self._predictors()) == 1:
            return self._predictors()[0].predict_proba(X)
        classes = np.asarray(self.classes_)

        def fold_proba(model, X):
            known = np.asarray(model.predict_proba(X))
            proba = np.zeros((known.shape[0], classes.size), dtype=known.dtype)
            proba[:, np.searchsorted(classes, np.asarray(model.classes_))] = known
            return proba

        return self._routed(fold_proba, X)
