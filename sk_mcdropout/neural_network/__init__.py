"""Monte Carlo dropout estimators: the scikit-learn side of the networks.

``MCDropoutClassifier`` and ``MCDropoutRegressor`` share ``MCDropoutMixin``
(parameters, seeding, training and the Monte Carlo prediction path) and reach
the network only through ``sk_mcdropout._keras``.
"""

from ._classifier import MCDropoutClassifier
from ._regressor import MCDropoutRegressor

__all__ = ["MCDropoutClassifier", "MCDropoutRegressor"]

# The public path, which skops (trusted types), pickle and the documentation
# show: MCDropoutClassifier is sk_mcdropout.neural_network.MCDropoutClassifier.
for _cls in (MCDropoutClassifier, MCDropoutRegressor):
    _cls.__module__ = __name__
del _cls
