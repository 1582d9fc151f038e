"""Monte Carlo dropout as a first-class scikit-learn citizen."""

# _backend first: it imports TensorFlow (which scikeras imports too) with its
# start-up notices silenced, and without starting its runtime.
from . import _backend  # noqa: F401, I001
from . import metrics, uncertainty
from ._backend import limit_tf_threads
from ._classifier import MCDropoutClassifier
from ._concrete import ConcreteDropout, concrete_regularizers
from ._persist import load, save
from ._plotting import RegressionCalibrationDisplay, RejectionCurveDisplay
from ._regressor import MCDropoutRegressor
from ._reject import RejectOptionClassifier
from ._reject_regressor import RejectOptionRegressor

__version__ = "0.1.0"

__all__ = [
    "ConcreteDropout",
    "MCDropoutClassifier",
    "MCDropoutRegressor",
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
    "__version__",
]
