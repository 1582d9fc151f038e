"""The one door between the scikit-learn glue and Keras.

The only code of the library that imports Keras or TensorFlow. The estimators
(``sk_mcdropout.neural_network``) and the persistence layer reach the network
through the names exported here; each concern behind it has its own short
module:

- ``_backend``: importing Keras and TensorFlow quietly, starting the runtime
  lazily, thread pools;
- ``_seeding``: reproducible, thread-safe seeding of building and training;
- ``_builders``: the built-in MLPs and the checks and edits of a user's network;
- ``_dropout``: the built-in networks' dropout layer, its rate a variable;
- ``_concrete``: the ConcreteDropout layer and its regulariser weights;
- ``_sampler``: the compiled Monte Carlo sampler and the deterministic pass;
- ``_losses``: the heteroscedastic regression losses;
- ``_training``: the training loop (whole epochs per compiled call) and
  scikit-learn's stopping rules;
- ``_pool``: built-in networks kept per architecture and re-initialised from
  each fit's seed;
- ``_serialization``: networks and Keras objects to and from bytes and JSON,
  and the networks in an estimator's pickled state;
- ``_export``: a fitted network at its ``n_samples`` as a fixed ensemble of
  constants, evaluated with NumPy or saved as a TensorFlow SavedModel.

Every private Keras or TensorFlow name is reached through
``sk_mcdropout._compat``.
"""

from ._backend import (
    backend_versions,
    check_backend,
    ensure_runtime,
    limit_tf_threads,
)
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
from ._concrete import ConcreteDropout, concrete_regularizers
from ._export import (
    Graph,
    classifier_heads,
    evaluate,
    network_graph,
    regressor_heads,
    reject_classifier_heads,
    reject_regressor_heads,
    save_saved_model,
)
from ._losses import MIN_VARIANCE, BetaNLL, gaussian_nll_loss, heteroscedastic_loss
from ._pool import lease as lease_network
from ._sampler import (
    MCSampler,
    deterministic_outputs,
    deterministic_proba,
    get_sampler,
    pass_masks,
)
from ._seeding import seeded
from ._serialization import (
    decode_networks,
    describe_network,
    encode_networks,
    is_keras_object,
    is_network,
    keras_object_config,
    keras_object_from_config,
    network_from_bytes,
    network_to_bytes,
)
from ._training import (
    StoppingRule,
    fallback_reason,
    initial_state,
    restore_initial_state,
)
from ._training import fit as train

__all__ = [
    "CONCRETE",
    "Graph",
    "classifier_heads",
    "evaluate",
    "network_graph",
    "pass_masks",
    "regressor_heads",
    "reject_classifier_heads",
    "reject_regressor_heads",
    "save_saved_model",
    "ConcreteDropout",
    "backend_versions",
    "concrete_regularizers",
    "decode_networks",
    "describe_network",
    "encode_networks",
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
    "gaussian_nll_loss",
    "heteroscedastic_loss",
    "BetaNLL",
    "get_sampler",
    "initial_state",
    "is_keras_object",
    "is_network",
    "lease_network",
    "restore_initial_state",
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
