"""The one door between the scikit-learn glue and Keras.

The glue (``_base``, ``_classifier``, ``_regressor``) imports only this module;
each concern behind it has its own short module:

- ``_backend``: importing Keras and TensorFlow quietly, starting the runtime
  lazily, thread pools;
- ``_seeding``: reproducible, thread-safe seeding of building and training;
- ``_builders``: the built-in MLPs and the checks and edits of a user's network;
- ``_sampler``: the compiled Monte Carlo sampler and the deterministic pass;
- ``_losses``: the regression loss;
- ``_training``: the training loop (whole epochs per compiled call) and
  scikit-learn's stopping rules;
- ``_compat``: every private Keras, TensorFlow, scikeras and scikit-learn name.
"""

from ._backend import check_backend, ensure_runtime, limit_tf_threads
from ._builders import (
    build_mlp,
    build_regression_mlp,
    check_activation,
    check_model,
    dropout_layers,
    output_width,
    restore_training_state,
    set_dropout_rate,
    training_state,
    weights_finite,
)
from ._losses import MIN_VARIANCE, gaussian_nll
from ._sampler import (
    MCSampler,
    deterministic_outputs,
    deterministic_proba,
    get_sampler,
)
from ._seeding import seeded
from ._training import StoppingRule, fallback_reason
from ._training import fit as train

__all__ = [
    "MIN_VARIANCE",
    "MCSampler",
    "StoppingRule",
    "build_mlp",
    "build_regression_mlp",
    "check_activation",
    "check_backend",
    "check_model",
    "deterministic_outputs",
    "deterministic_proba",
    "dropout_layers",
    "ensure_runtime",
    "fallback_reason",
    "gaussian_nll",
    "get_sampler",
    "limit_tf_threads",
    "output_width",
    "restore_training_state",
    "seeded",
    "set_dropout_rate",
    "training_state",
    "weights_finite",
    "train",
]
