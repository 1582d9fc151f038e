"""Reject options: abstain on the rows a model is least sure about.

Meta-estimators around any classifier or regressor that gives probabilities
or a predictive std; the estimators are duck-typed, so nothing here imports
Keras or the MC dropout estimators. Threshold selection (coverage targets,
risk limits, certified bounds) is pure NumPy and SciPy statistics in
``_threshold``.
"""

from ._classifier import RejectOptionClassifier
from ._regressor import RejectOptionRegressor

__all__ = ["RejectOptionClassifier", "RejectOptionRegressor"]

# The public path, which skops (trusted types), pickle and the documentation
# show: RejectOptionClassifier is sk_mcdropout.reject.RejectOptionClassifier.
for _cls in (RejectOptionClassifier, RejectOptionRegressor):
    _cls.__module__ = __name__
del _cls
