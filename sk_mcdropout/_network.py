"""The one door between the scikit-learn glue and Keras.

The glue (``_base``, ``_classifier``, ``_regressor``) imports only this module;
each concern behind it has its own short module:

- ``_backend``: importing Keras and TensorFlow quietly, starting the runtime
  lazily, thread pools;
- ``_seeding``: reproducible, thread-safe seeding of building and training;
- ``_builders``: the built-in MLPs and the checks and edits of a user's network;
- ``_concrete``: the ConcreteDropout layer and its regulariser weights;
- ``_sampler``: the compiled Monte Carlo sampler and the deterministic pass;
- ``_losses``: the regression loss;
- ``_training``: the training loop (whole epochs per compiled call) and
  scikit-learn's stopping rules;
- ``_saving``: networks and Keras objects to and from bytes and JSON;
- ``_compat``: every private Keras, TensorFlow, scikeras and scikit-learn name.
"""

from ._backend import check_backend, ensure_runtime, limit_tf_threads
from ._builders import (
    CONCRETE,
    build_mlp,
    build_regression_mlp,
    check_activation,
    check_model,
    check_prefit,
    concrete_layers,
    dropout_layers,
    dropout_rates,
    output_width,
    restore_training_state,
    set_concrete_regularizers,
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
from ._saving import (
    is_keras_object,
    is_network,
    keras_object_config,
    keras_object_from_config,
    network_from_bytes,
    network_to_bytes,
)
from ._seeding import seeded
from ._training import StoppingRule, fallback_reason
from ._training import fit as train

__all__ = [
    "CONCRETE",
    "MIN_VARIANCE",
    "MCSampler",
    "StoppingRule",
    "build_mlp",
    "build_regression_mlp",
    "check_activation",
    "check_backend",
    "check_model",
    "check_prefit",
    "concrete_layers",
    "deterministic_outputs",
    "deterministic_proba",
    "dropout_layers",
    "dropout_rates",
    "ensure_runtime",
    "fallback_reason",
    "gaussian_nll",
    "get_sampler",
    "is_keras_object",
    "is_network",
    "keras_object_config",
    "keras_object_from_config",
    "limit_tf_threads",
    "network_from_bytes",
    "network_to_bytes",
    "output_width",
    "restore_training_state",
    "seeded",
    "set_concrete_regularizers",
    "set_dropout_rate",
    "training_state",
    "weights_finite",
    "train",
]
