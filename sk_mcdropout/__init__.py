"""Monte Carlo dropout as a first-class scikit-learn citizen."""

# _network first: it imports TensorFlow with its start-up notices silenced.
from . import _network  # noqa: F401, I001
from . import metrics, uncertainty
from ._classifier import MCDropoutClassifier
from ._network import limit_tf_threads
from ._plotting import RegressionCalibrationDisplay, RejectionCurveDisplay
from ._regressor import MCDropoutRegressor
from ._reject import RejectOptionClassifier

__version__ = "0.1.0"

__all__ = [
    "MCDropoutClassifier",
    "MCDropoutRegressor",
    "RejectOptionClassifier",
    "RejectionCurveDisplay",
    "RegressionCalibrationDisplay",
    "metrics",
    "uncertainty",
    "limit_tf_threads",
    "__version__",
]
