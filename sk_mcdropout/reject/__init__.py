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
