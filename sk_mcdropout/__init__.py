"""Monte Carlo dropout as a first-class scikit-learn citizen."""

# _network first: it imports TensorFlow with its start-up notices silenced.
from . import _network  # noqa: F401, I001
from . import metrics, uncertainty
from ._classifier import MCDropoutClassifier
from ._network import limit_tf_threads
from ._plotting import RejectionCurveDisplay
from ._regressor import MCDropoutRegressor
from ._reject import RejectOptionClassifier
from ._reject_regressor import RejectOptionRegressor

__version__ = "0.1.0"

__all__ = [
    "MCDropoutClassifier",
    "MCDropoutRegressor",
    "RejectOptionClassifier",
    "RejectOptionRegressor",
    "RejectionCurveDisplay",
    "metrics",
    "uncertainty",
    "limit_tf_threads",
    "__version__",
]
