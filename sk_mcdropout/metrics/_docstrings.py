"""Descriptions of the metric arguments, written once.

Fragments for :class:`~sk_mcdropout._docstrings.Substitution`: numpydoc
entries whose description is indented by four spaces; ``Substitution``
indents each as the line it fills, in a function or a method.
"""

SELECTIVE = dict(
    y_true="""y_true : array-like of shape (n_rows,)
    True labels.""",
    y_pred="""y_pred : array-like of shape (n_rows,)
    Predicted labels.""",
    uncertainty="""uncertainty : array-like of shape (n_rows,)
    Uncertainty of each prediction, e.g. one of the functions of
    :mod:`sk_mcdropout.uncertainty`; higher means less sure, so accepted
    later (rejected first).""",
    sample_weight="""sample_weight : array-like of shape (n_rows,), default=None
    Row weights, non-negative with a positive sum; coverage and risk are
    then weighted fractions (a zero weight is the same as removing the
    row).""",
)

GAUSSIAN = dict(
    y_true="""y_true : array-like of shape (n_rows,) or (n_rows, n_outputs)
    Observed targets.""",
    y_mean="""y_mean : array-like of the same shape as y_true
    Predictive means.""",
    y_std="""y_std : array-like of the same shape as y_true
    Predictive standard deviations, positive.""",
    sample_weight="""sample_weight : array-like of shape (n_rows,), default=None
    Row weights, non-negative with a positive sum; every output of a row
    has its weight.""",
    confidence_level="""confidence_level : float in (0, 1), default=0.95
    Nominal probability of the central interval.""",
    n_levels="""n_levels : int, default=101
    Number of equally spaced levels in [0, 1], both ends included; at
    least 2.""",
    kind="""kind : {"interval", "quantile"}, default="interval"
    Central intervals (symmetric errors), or one-sided quantiles (which
    also show a bias of the mean).""",
)
