"""Monte Carlo dropout estimators: the scikit-learn side of the networks.

``MCDropoutClassifier`` and ``MCDropoutRegressor`` share ``MCDropoutMixin``
(parameters, seeding, training and the Monte Carlo prediction path) and reach
the network only through ``sk_mcdropout._keras``.
"""

from ._classifier import MCDropoutClassifier
from ._regressor import MCDropoutRegressor

__all__ = ["MCDropoutClassifier", "MCDropoutRegressor"]
