"""Risk-coverage and regression calibration plots.

matplotlib is imported only when something is drawn.
"""

from numbers import Integral

import numpy as np

from .._compat import Interval, StrOptions, validate_params
from .._docstrings import Substitution
from .._measures import MEASURES, proba_and_uncertainty
from .._validation import check_sample_weight
from ._docstrings import GAUSSIAN, SELECTIVE
from ._regression import area_to_diagonal, regression_calibration_curve
from ._selective import area_under_curve, risk_coverage_curve, selective_curve


def _import_pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install matplotlib` or `pip install sk-mcdropout[plot]`."
        ) from exc
    return plt


class _DisplayMixin:
    """What every display of the package does around its own drawing."""

    def _axes_and_name(self, ax, name):
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        return ax, self.name if name is None else name

    @staticmethod
    def _label(name, summary):
        """The legend entry: the name and a summary of the curve, if any."""
        parts = [part for part in (name, summary) if part is not None]
        return " ".join(parts) if parts else None

    def _finish(self, ax):
        if ax.get_legend_handles_labels()[1]:
            ax.legend(loc="upper left")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


_PLOT_ARRAYS = {"sample_weight": ["array-like", None], "name": [str, None]}
_CALIBRATION = {
    "n_levels": [Interval(Integral, 2, None, closed="left")],
    "kind": [StrOptions({"interval", "quantile"})],
}


class RejectionCurveDisplay(_DisplayMixin):
    """Risk-coverage curve of a selective classifier.

    Shows how the selective risk (the mean loss of the accepted rows: their
    error rate for a classifier) grows as more rows are accepted (coverage),
    the rows being accepted by increasing uncertainty. Lower curves are
    better; the legend gives the area under each curve (AURC, see
    :func:`sk_mcdropout.metrics.aurc`). The curve is drawn as a step
    function, the way the AURC integrates it, starting from coverage 0 at the
    risk of its first point.

    Create it with :meth:`from_estimator` or :meth:`from_predictions`. To
    compare uncertainty measures or models on one axes, pass the axes of the
    first display to the next: ``ax=display.ax_``. From a fitted
    :class:`~sk_mcdropout.RejectOptionClassifier` or
    :class:`~sk_mcdropout.RejectOptionRegressor`, the curve is that of the
    reject option's own ranking and loss, with its operating point marked.

    Parameters
    ----------
    coverage : ndarray of shape (n_thresholds,)
        Increasing coverages, as returned by
        :func:`~sk_mcdropout.metrics.risk_coverage_curve`.

    selective_risk : ndarray of shape (n_thresholds,)
        Selective risk at each coverage.

    aurc : float, default=None
        Area under the curve, shown in the legend if not None.

    name : str, default=None
        Name of the curve in the legend.

    operating_point : tuple of (float, float), default=None
        The (coverage, selective risk) a reject option reaches at its
        threshold, marked on the curve if not None.

    risk_bound : float, default=None
        The reject option's certified upper bound on the selective risk at
        its operating point, marked above it if not None or nan.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.

    point_ : matplotlib Line2D or None
        The operating point, if one is marked.

    bound_ : matplotlib Line2D or None
        The certified bound, if one is marked.

    ax_ : matplotlib Axes
        Axes with the curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    sk_mcdropout.metrics.risk_coverage_curve : The values plotted.
    sklearn.calibration.CalibrationDisplay : The display this one imitates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_mcdropout import RejectionCurveDisplay, RejectOptionClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegression())
    >>> clf = clf.fit(X_train, y_train)
    >>> disp = RejectionCurveDisplay.from_estimator(clf, X_test, y_test)
    >>> disp.line_.get_label()  # doctest: +ELLIPSIS
    'max_probability (AURC = 0.00...)'

    A reject option's own curve, with the point its threshold reaches:

    >>> reject = RejectOptionClassifier(clf, coverage=0.8).fit(X_train, y_train)
    >>> disp = RejectionCurveDisplay.from_estimator(reject, X_test, y_test)
    >>> coverage, risk = disp.operating_point
    >>> bool(coverage in disp.coverage)
    True
    """

    def __init__(
        self,
        coverage,
        selective_risk,
        *,
        aurc=None,
        name=None,
        operating_point=None,
        risk_bound=None,
    ):
        self.coverage = coverage
        self.selective_risk = selective_risk
        self.aurc = aurc
        self.name = name
        self.operating_point = operating_point
        self.risk_bound = risk_bound

    def plot(self, *, ax=None, name=None, **kwargs):
        """Plot the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on, e.g. the ``ax_`` of another display to overlay
            curves. If None, a new figure and axes are created.

        name : str, default=None
            Name of the curve in the legend; if None, ``self.name``.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            This display, with ``line_``, ``point_``, ``bound_``, ``ax_`` and
            ``figure_`` set.
        """
        ax, name = self._axes_and_name(ax, name)
        summary = None if self.aurc is None else f"(AURC = {self.aurc:.3g})"
        line_kwargs = {"drawstyle": "steps-pre"}
        label = self._label(name, summary)
        if label is not None:
            line_kwargs["label"] = label
        line_kwargs.update(kwargs)
        # Drawn as the AURC integrates it: the risk of a point holds over the
        # coverage interval that ends at it, the first one from 0 (which
        # shows a large tied group at the start as the flat line it is).
        coverage = np.r_[0.0, self.coverage]
        risk = np.r_[self.selective_risk[0], self.selective_risk]
        (self.line_,) = ax.plot(coverage, risk, **line_kwargs)
        self.point_ = self.bound_ = None
        if self.operating_point is not None and not np.isnan(self.operating_point[1]):
            point_coverage, point_risk = self.operating_point
            color = self.line_.get_color()
            (self.point_,) = ax.plot(
                [point_coverage],
                [point_risk],
                "o",
                color=color,
                label=f"threshold: coverage {point_coverage:.2g}, "
                f"risk {point_risk:.2g}",
            )
            if self.risk_bound is not None and not np.isnan(self.risk_bound):
                (self.bound_,) = ax.plot(
                    [point_coverage, point_coverage],
                    [point_risk, self.risk_bound],
                    ":",
                    marker="_",
                    markersize=12,
                    color=color,
                    label=f"certified bound {self.risk_bound:.2g}",
                )
        ax.set(
            xlabel="Coverage (fraction of rows accepted)",
            ylabel="Selective risk (mean loss among accepted)",
            xlim=(0, 1.01),
        )
        return self._finish(ax)

    @classmethod
    @Substitution(**SELECTIVE)
    @validate_params(_PLOT_ARRAYS, prefer_skip_nested_validation=True)
    def from_predictions(
        cls,
        y_true,
        y_pred,
        uncertainty,
        *,
        sample_weight=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the risk-coverage curve from labels and uncertainties.

        Parameters
        ----------
        {y_true}

        {y_pred}

        {uncertainty}

        {sample_weight}

        name : str, default=None
            Name of the curve in the legend.

        ax : matplotlib Axes, default=None
            Axes to plot on; if None, a new figure and axes are created.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            The display with the curve drawn.

        See Also
        --------
        RejectionCurveDisplay.from_estimator : The curve of a fitted
            classifier or reject option.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sk_mcdropout import RejectionCurveDisplay
        >>> y_true = [0, 1, 1, 0]
        >>> disp = RejectionCurveDisplay.from_predictions(
        ...     y_true, [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], name="entropy")
        >>> disp = RejectionCurveDisplay.from_predictions(
        ...     y_true, [0, 1, 0, 1], [0.4, 0.3, 0.2, 0.1], name="reversed",
        ...     ax=disp.ax_)
        >>> [text.get_text() for text in disp.ax_.get_legend().get_texts()]
        ['entropy (AURC = 0.208)', 'reversed (AURC = 0.792)']
        """
        _import_pyplot(f"{cls.__name__}.from_predictions")
        coverage, risk, _ = risk_coverage_curve(
            y_true, y_pred, uncertainty, sample_weight=sample_weight
        )
        display = cls(coverage, risk, aurc=area_under_curve(coverage, risk), name=name)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    @Substitution(**SELECTIVE)
    @validate_params(
        {**_PLOT_ARRAYS, "measure": [StrOptions(set(MEASURES)), None]},
        prefer_skip_nested_validation=True,
    )
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        measure=None,
        sample_weight=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the risk-coverage curve of a fitted classifier on data.

        For a classifier, the predicted labels are the argmax of the
        probabilities the measure is computed from (for MC measures, the mean
        of the same passes). For a fitted reject option
        (:class:`~sk_mcdropout.RejectOptionClassifier`,
        :class:`~sk_mcdropout.RejectOptionRegressor`, or any estimator with
        a ``rejection_scores`` method), the curve is the reject option's
        own: its rows ranked by its measure and tie-breaker, its loss (the
        ``error_cost`` of a classifier, the ``loss`` of a regressor), the
        rows its novelty guard rejects never accepted; and the point its
        threshold reaches on this data is marked, with its certified bound
        when it has one. That point lies on the curve.

        Parameters
        ----------
        estimator : estimator instance
            Fitted classifier with ``predict_proba`` (MC measures also need
            ``predict_proba_samples``: an :class:`MCDropoutClassifier` or a
            Pipeline ending with one), or a fitted reject option.

        X : array-like of shape (n_rows, n_features)
            Input data.

        y : array-like of shape (n_rows,)
            True labels (true values for a regression reject option).

        measure : str, default=None
            Uncertainty measure of a classifier, one of
            ``"max_probability"`` (None means this one),
            ``"predictive_entropy"``, ``"mutual_information"``,
            ``"variation_ratio"``, ``"predicted_class_std"``. A reject option
            plots its own measure: leave None.

        {sample_weight}

        name : str, default=None
            Name of the curve in the legend; if None, the measure's name.

        ax : matplotlib Axes, default=None
            Axes to plot on; if None, a new figure and axes are created.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            The display with the curve drawn.

        See Also
        --------
        RejectionCurveDisplay.from_predictions : The curve of given labels
            and uncertainties.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "rejection_scores"):
            return cls._from_reject_option(
                estimator, X, y, measure, sample_weight, name, ax, kwargs
            )
        measure = "max_probability" if measure is None else measure
        proba, uncertainty = proba_and_uncertainty(estimator, X, measure)
        y_pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
        return cls.from_predictions(
            y,
            y_pred,
            uncertainty,
            sample_weight=sample_weight,
            name=measure if name is None else name,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def _from_reject_option(
        cls, estimator, X, y, measure, sample_weight, name, ax, kwargs
    ):
        if measure is not None:
            raise ValueError(
                f"A {type(estimator).__name__} is plotted with its own measure "
                f"and tie-breaker; got measure={measure!r}. Leave measure=None, "
                "or set the reject option's own measure."
            )
        scores = estimator.rejection_scores(X, y)
        weights = check_sample_weight(sample_weight, scores.loss.shape[0])
        curve = selective_curve(
            scores.loss, scores.uncertainty, scores.tiebreak, weights, ~scores.novel
        )
        if curve.coverage.size == 0:
            raise ValueError(
                "The novelty guard rejects every row of X that has a weight: "
                "there is no risk-coverage curve to draw."
            )
        accepted = ~scores.rejected
        accepted_weight = weights[accepted].sum()
        point = (
            float(accepted_weight / weights.sum()),
            float(np.dot(weights[accepted], scores.loss[accepted]) / accepted_weight)
            if accepted_weight > 0
            else np.nan,
        )
        display = cls(
            curve.coverage,
            curve.risk,
            aurc=area_under_curve(curve.coverage, curve.risk),
            name=getattr(estimator, "measure", "predictive std")
            if name is None
            else name,
            operating_point=point,
            risk_bound=getattr(estimator, "risk_bound_", None),
        )
        return display.plot(ax=ax, **kwargs)


class RegressionCalibrationDisplay(_DisplayMixin):
    """Calibration curve of a regressor's predictive distribution.

    Plots, over probability levels, the observed frequency against the
    expected one: with ``kind="interval"``, the share of targets inside their
    central predictive interval of each level; with ``kind="quantile"``, the
    share below their predictive quantile (Kuleshov et al., 2018). A
    calibrated model follows the diagonal; a curve below it (interval kind)
    has intervals that are too narrow. The legend gives the miscalibration
    area (see :func:`sk_mcdropout.metrics.miscalibration_area`). The
    predictive distribution is the Gaussian ``N(y_mean, y_std**2)``.

    Create it with :meth:`from_estimator` or :meth:`from_predictions`. To
    compare models on one axes, pass the axes of the first display to the
    next: ``ax=display.ax_``.

    Parameters
    ----------
    expected : ndarray of shape (n_levels,)
        Probability levels, as returned by
        :func:`~sk_mcdropout.metrics.regression_calibration_curve`.

    observed : ndarray of shape (n_levels,)
        Observed frequency at each level.

    miscalibration_area : float, default=None
        Area between the curve and the diagonal, shown in the legend if not
        None.

    name : str, default=None
        Name of the curve in the legend.

    kind : {"interval", "quantile"}, default="interval"
        What the levels mean; sets the axis labels.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.

    ax_ : matplotlib Axes
        Axes with the curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    sk_mcdropout.metrics.regression_calibration_curve : The values plotted.
    sklearn.calibration.CalibrationDisplay : The classification counterpart.

    References
    ----------
    V. Kuleshov, N. Fenner and S. Ermon, "Accurate Uncertainties for Deep
    Learning Using Calibrated Regression", ICML 2018.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn.model_selection import train_test_split
    >>> from sk_mcdropout import RegressionCalibrationDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = BayesianRidge().fit(X_train, y_train)
    >>> disp = RegressionCalibrationDisplay.from_estimator(reg, X_test, y_test)
    >>> disp.line_.get_label()
    'BayesianRidge (area = 0.0194)'
    """

    def __init__(
        self,
        expected,
        observed,
        *,
        miscalibration_area=None,
        name=None,
        kind="interval",
    ):
        self.expected = expected
        self.observed = observed
        self.miscalibration_area = miscalibration_area
        self.name = name
        self.kind = kind

    def plot(self, *, ax=None, name=None, ref_line=True, **kwargs):
        """Plot the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on, e.g. the ``ax_`` of another display to overlay
            curves. If None, a new figure and axes are created.

        name : str, default=None
            Name of the curve in the legend; if None, ``self.name``.

        ref_line : bool, default=True
            Draw the diagonal of perfect calibration (once per axes).

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RegressionCalibrationDisplay
            This display, with ``line_``, ``ax_`` and ``figure_`` set.
        """
        ax, name = self._axes_and_name(ax, name)
        summary = (
            None
            if self.miscalibration_area is None
            else f"(area = {self.miscalibration_area:.3g})"
        )
        line_kwargs = {}
        label = self._label(name, summary)
        if label is not None:
            line_kwargs["label"] = label
        line_kwargs.update(kwargs)

        # One reference line per axes, however many curves are overlaid.
        if ref_line and not getattr(ax, "_sk_mcdropout_calibration_ref", False):
            ax.plot([0, 1], [0, 1], "k:", label="Perfectly calibrated")
            ax._sk_mcdropout_calibration_ref = True
        (self.line_,) = ax.plot(self.expected, self.observed, **line_kwargs)
        what = "central interval" if self.kind == "interval" else "quantile"
        ax.set(
            xlabel=f"Expected frequency ({what} level)",
            ylabel="Observed frequency",
            xlim=(0, 1),
            ylim=(0, 1),
            aspect="equal",
        )
        return self._finish(ax)

    @classmethod
    @Substitution(**GAUSSIAN)
    @validate_params(
        {**_PLOT_ARRAYS, **_CALIBRATION}, prefer_skip_nested_validation=True
    )
    def from_predictions(
        cls,
        y_true,
        y_mean,
        y_std,
        *,
        n_levels=101,
        kind="interval",
        sample_weight=None,
        name=None,
        ref_line=True,
        ax=None,
        **kwargs,
    ):
        """Plot the calibration curve from targets, means and standard deviations.

        Parameters
        ----------
        {y_true}

        {y_mean}

        {y_std}

        {n_levels}

        {kind}

        {sample_weight}

        name : str, default=None
            Name of the curve in the legend.

        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.

        ax : matplotlib Axes, default=None
            Axes to plot on; if None, a new figure and axes are created.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RegressionCalibrationDisplay
            The display with the curve drawn.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sk_mcdropout import RegressionCalibrationDisplay
        >>> y = np.random.default_rng(0).standard_normal(1000)
        >>> zeros, ones = np.zeros_like(y), np.ones_like(y)
        >>> disp = RegressionCalibrationDisplay.from_predictions(
        ...     y, zeros, ones, name="calibrated")
        >>> disp = RegressionCalibrationDisplay.from_predictions(
        ...     y, zeros, 0.5 * ones, name="overconfident", ax=disp.ax_)
        >>> [t.get_text() for t in disp.ax_.get_legend().get_texts()]
        ['Perfectly calibrated', 'calibrated (area = 0.00992)', \
'overconfident (area = 0.199)']
        """
        _import_pyplot(f"{cls.__name__}.from_predictions")
        expected, observed = regression_calibration_curve(
            y_true,
            y_mean,
            y_std,
            n_levels=n_levels,
            kind=kind,
            sample_weight=sample_weight,
        )
        display = cls(
            expected,
            observed,
            miscalibration_area=area_to_diagonal(expected, observed),
            name=name,
            kind=kind,
        )
        return display.plot(ax=ax, ref_line=ref_line, **kwargs)

    @classmethod
    @Substitution(**GAUSSIAN)
    @validate_params(
        {**_PLOT_ARRAYS, **_CALIBRATION}, prefer_skip_nested_validation=True
    )
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_levels=101,
        kind="interval",
        sample_weight=None,
        name=None,
        ref_line=True,
        ax=None,
        **kwargs,
    ):
        """Plot the calibration curve of a fitted regressor on data.

        Parameters
        ----------
        estimator : estimator instance
            Fitted regressor whose ``predict`` takes ``return_std=True``
            (:class:`~sk_mcdropout.MCDropoutRegressor`,
            ``GaussianProcessRegressor``, ``BayesianRidge``, or a Pipeline
            ending with one).

        X : array-like of shape (n_rows, n_features)
            Input data.

        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Observed targets.

        {n_levels}

        {kind}

        {sample_weight}

        name : str, default=None
            Name of the curve in the legend; if None, the estimator's class
            name (of the last step of a Pipeline).

        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.

        ax : matplotlib Axes, default=None
            Axes to plot on; if None, a new figure and axes are created.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RegressionCalibrationDisplay
            The display with the curve drawn.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        y_mean, y_std = estimator.predict(X, return_std=True)
        if name is None:
            final = estimator[-1] if hasattr(estimator, "steps") else estimator
            name = type(final).__name__
        return cls.from_predictions(
            y,
            y_mean,
            y_std,
            n_levels=n_levels,
            kind=kind,
            sample_weight=sample_weight,
            name=name,
            ref_line=ref_line,
            ax=ax,
            **kwargs,
        )
