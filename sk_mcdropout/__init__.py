"""Monte Carlo dropout as a first-class scikit-learn citizen."""

# _keras first: it imports TensorFlow (which scikeras imports too) with its
# start-up notices silenced, and without starting its runtime.
from . import _keras  # noqa: F401, I001
from . import metrics, uncertainty
from ._adapters import PredictiveStd
from ._keras import ConcreteDropout, concrete_regularizers, limit_tf_threads
from ._persistence import load, save, trusted_types
from ._version import __version__
from .metrics import RegressionCalibrationDisplay, RejectionCurveDisplay
from .neural_network import MCDropoutClassifier, MCDropoutRegressor
from .reject import RejectOptionClassifier, RejectOptionRegressor

__all__ = [
    "ConcreteDropout",
    "MCDropoutClassifier",
    "MCDropoutRegressor",
    "PredictiveStd",
    "RejectOptionClassifier",
    "RejectOptionRegressor",
    "RejectionCurveDisplay",
    "RegressionCalibrationDisplay",
    "metrics",
    "uncertainty",
    "concrete_regularizers",
    "limit_tf_threads",
    "load",
    "save",
    "trusted_types",
    "__version__",
]
