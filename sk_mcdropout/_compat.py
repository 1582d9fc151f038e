"""Every private name of Keras, TensorFlow, scikeras and scikit-learn the library uses.

Private names move between releases without notice. Each one is reached only
through this module, which says which versions it is known to work on, and
``PRIVATE_NAMES`` lists them so that ``tests/test_compat.py`` checks that each
still resolves: a release that moves one fails that test by name instead of
breaking users or degrading silently. A missing name raises
``MissingPrivateAPIError``, never a silent fallback to other behaviour.

Known to work (tested in CI): TensorFlow 2.16 to 2.21, Keras 3.8 to 3.15,
scikeras 0.13, scikit-learn 1.7 to 1.9.
"""

import importlib

from sklearn.base import _fit_context  # scikit-learn 1.3 to 1.9
from sklearn.utils import _safe_indexing  # scikit-learn 1.0 to 1.9
from sklearn.utils._param_validation import (  # scikit-learn 1.2 to 1.9
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "MissingPrivateAPIError",
    "Options",
    "PRIVATE_NAMES",
    "RealNotInt",
    "SCIKERAS_ATTRS",
    "SCIKERAS_CALLBACK_ATTRS",
    "SCIKERAS_ENCODER_HOOKS",
    "SCIKERAS_HOOKS",
    "SCIKERAS_RANDOM_STATE_ATTR",
    "StrOptions",
    "call_has_training_arg",
    "fit_context",
    "flatten_layers",
    "functional_class",
    "functional_of_sequential",
    "initialize_callbacks",
    "keras_seed_state",
    "omit_retracing_warning",
    "op_determinism_enabled",
    "route_params",
    "run_through_graph",
    "runtime_started",
    "safe_indexing",
    "set_keras_seed_state",
    "set_tf_global_seed",
    "tf_global_seed",
    "validate_parameter_constraints",
    "validate_params",
]

safe_indexing = _safe_indexing
# Runs fit after validating the estimator's parameters (_parameter_constraints).
fit_context = _fit_context

# Every private name used anywhere in the library, each with a getter that
# resolves it (MissingPrivateAPIError if absent); tests/test_compat.py calls
# each. Known versions are given where a name is used below.
PRIVATE_NAMES = {
    "keras.src.random.seed_generator.python_random": lambda: resolve(
        "keras.src.random.seed_generator", "python_random"
    ),
    "keras.src.backend.common.global_state": lambda: (
        resolve("keras.src.backend.common.global_state", "get_global_attribute"),
        resolve("keras.src.backend.common.global_state", "set_global_attribute"),
    ),
    "keras.Model._flatten_layers": lambda: resolve("keras", "Model._flatten_layers"),
    "keras.src.models.functional.Functional._run_through_graph": lambda: resolve(
        "keras.src.models.functional", "Functional._run_through_graph"
    ),
    "keras.Sequential()._functional": lambda: resolve(
        "keras", "Sequential()._functional"
    ),
    "keras.layers.Layer()._call_has_training_arg": lambda: resolve(
        "keras", "layers.Dense(1)._call_has_training_arg"
    ),
    "tensorflow.python.eager.context.context()._seed": lambda: resolve(
        "tensorflow.python.eager.context", "context()._seed"
    ),
    "tensorflow.python.eager.context.context()._initialized": lambda: resolve(
        "tensorflow.python.eager.context", "context()._initialized"
    ),
    # `_rng` exists once a global seed was set; this method is what reads it.
    "tensorflow.python.eager.context.Context._internal_operation_seed": lambda: resolve(
        "tensorflow.python.eager.context", "Context._internal_operation_seed"
    ),
    "tf.function()._omit_frequent_tracing_warning": lambda: _tf_function_attr(),
    "tensorflow.python.framework.config.is_op_determinism_enabled": lambda: resolve(
        "tensorflow.python.framework.config", "is_op_determinism_enabled"
    ),
    # Routes `fit__*` parameters as scikeras' own _fit_keras_model does.
    "scikeras._utils.route_params": lambda: resolve("scikeras._utils", "route_params"),
    "sklearn.utils._safe_indexing": lambda: resolve("sklearn.utils", "_safe_indexing"),
    "sklearn.utils._param_validation": lambda: resolve(
        "sklearn.utils._param_validation", "validate_parameter_constraints"
    ),
    "sklearn.utils._param_validation.validate_params": lambda: resolve(
        "sklearn.utils._param_validation", "validate_params"
    ),
    "sklearn.utils._param_validation.RealNotInt": lambda: resolve(
        "sklearn.utils._param_validation", "RealNotInt"
    ),
    "sklearn.base._fit_context": lambda: resolve("sklearn.base", "_fit_context"),
}


def _tf_function_attr():
    import tensorflow as tf

    name = "_omit_frequent_tracing_warning"
    function = tf.function(lambda: 0)
    if not hasattr(function, name):
        raise _missing(f"tf.function().{name}", "tensorflow", AttributeError(name))
    return getattr(function, name)


# scikeras 0.13: the private hooks of its wrappers (BaseWrapper,
# KerasClassifier, KerasRegressor) that the estimators override or call,
# only in neural_network/_scikeras.py. scikeras is pinned below 0.14 and no
# longer released; the test checks that each is still there and still called
# by scikeras, so that a rename cannot drop an override silently (the
# non-negative sample_weight check lives in _validate_sample_weight).
SCIKERAS_HOOKS = (
    "_check_model_param",
    "_build_keras_model",
    "_get_compile_kwargs",
    "_fit",
    "_fit_keras_model",
    "_fit_kwargs",
    "_validate_data",
    "_validate_sample_weight",
    "_check_model_compatibility",
    "_type_of_target",
    "_initialize_callbacks",
)
# The hook of scikeras' ClassifierLabelEncoder that the one-hot encoder
# overrides (neural_network/_encoders.py): its fit chooses the encoding from it.
SCIKERAS_ENCODER_HOOKS = ("_type_of_target",)
# scikeras 0.13 keeps the callbacks built from the `callbacks` parameters in
# these attributes (set by _initialize_callbacks): training state, not saved.
SCIKERAS_CALLBACK_ATTRS = ("_fit_callbacks", "_predict_callbacks")
# scikeras 0.13 seeds TensorFlow from the instance attribute `_random_state`
# when it builds and fits the network; the estimators set it to None and seed
# themselves: scikeras' own seeding switches TensorFlow op determinism on
# for good and turns a RandomState into seed 0. The test checks scikeras
# still reads it there.
SCIKERAS_RANDOM_STATE_ATTR = "_random_state"
# Every private attribute of a scikeras wrapper that the estimators read or set.
SCIKERAS_ATTRS = (*SCIKERAS_CALLBACK_ATTRS, SCIKERAS_RANDOM_STATE_ATTR)


def initialize_callbacks(estimator):
    """Build scikeras' callbacks for an estimator assembled without ``fit``
    (a warm-start fit reads them)."""
    estimator._initialize_callbacks()


class MissingPrivateAPIError(ImportError):
    """A private name this library relies on is missing in the installed version."""


def _missing(what, package, exc):
    version = getattr(importlib.import_module(package), "__version__", "?")
    return MissingPrivateAPIError(
        f"sk_mcdropout relies on {what}, which {package} {version} does not have "
        f"({exc}). Supported versions: TensorFlow 2.16 to 2.21, Keras 3.8 to "
        "3.15, scikit-learn 1.7 to 1.9. Please install a supported version and "
        "report this at the project's issue tracker."
    )


def resolve(module, path):
    """The object at ``module`` + dotted ``path``; MissingPrivateAPIError if absent."""
    try:
        obj = importlib.import_module(module)
        for part in path.split("."):
            # "Name()" or "Name(1)": an instance, for instance attributes.
            name, _, args = part.partition("(")
            obj = getattr(obj, name)
            if args:
                obj = obj(*[int(a) for a in args.rstrip(")").split(",") if a])
    except (ImportError, AttributeError) as exc:
        raise _missing(f"{module}.{path}", module.split(".")[0], exc) from exc
    return obj


# --------------------------------------------------------------------------
# scikeras
# --------------------------------------------------------------------------


def route_params(*args, **kwargs):
    """scikeras 0.13's routing of ``fit__*`` parameters (imported lazily:
    scikeras imports TensorFlow, which ``_backend`` must import first)."""
    return resolve("scikeras._utils", "route_params")(*args, **kwargs)


# --------------------------------------------------------------------------
# Keras
# --------------------------------------------------------------------------

_GLOBAL_SEED_GENERATOR = "global_seed_generator"


def _seed_generator_module():
    resolve("keras.src.random.seed_generator", "python_random")
    return importlib.import_module("keras.src.random.seed_generator")


def _global_state():
    return importlib.import_module("keras.src.backend.common.global_state")


def keras_seed_state():
    """What Keras draws default seeds from: (module-level random, global generator)."""
    module = _seed_generator_module()
    return (
        module.python_random,
        _global_state().get_global_attribute(_GLOBAL_SEED_GENERATOR),
    )


def set_keras_seed_state(state):
    """Set what ``keras_seed_state`` returns.

    ``python_random`` is module-level: shared by all threads (callers hold the
    fit lock). The global generator is in Keras' thread-local state.
    """
    python_random, generator = state
    _seed_generator_module().python_random = python_random
    _global_state().set_global_attribute(_GLOBAL_SEED_GENERATOR, generator)


def flatten_layers(model):
    """Every layer of ``model``, nested models' layers included."""
    return model._flatten_layers(include_self=False, recursive=True)


def functional_class():
    """The class of functional models (Keras exports no public name for it)."""
    return resolve("keras.src.models.functional", "Functional")


def run_through_graph(model, inputs, operation_fn):
    """Run a functional model, calling ``operation_fn(op)`` for each operation."""
    return model._run_through_graph(inputs, operation_fn=operation_fn)


def functional_of_sequential(model):
    """The functional graph of a built Sequential model, or None."""
    return model._functional


def call_has_training_arg(op):
    """Whether a graph operation's ``call`` takes a ``training`` argument.

    Every Keras layer has ``_call_has_training_arg``; plain operations of a
    functional graph (``keras.ops`` calls) do not and take no ``training``.
    """
    import keras

    if isinstance(op, keras.layers.Layer):
        return op._call_has_training_arg
    return False


# --------------------------------------------------------------------------
# TensorFlow
# --------------------------------------------------------------------------


def _context():
    from tensorflow.python.eager import context

    return context.context()


def tf_global_seed():
    """TensorFlow's global seed and its op-seed stream, to be restored later."""
    ctx = _context()
    # `_rng` is created by the first global seed; before that it is unused.
    return ctx._seed, getattr(ctx, "_rng", None)


def set_tf_global_seed(state):
    """Set TensorFlow's global seed without ``tf.random.set_seed``.

    ``tf.random.set_seed`` also clears the kernel cache, which restarts every
    stateful random op of the caller; setting the two fields does not.
    """
    ctx = _context()
    ctx._seed, ctx._rng = state


def runtime_started():
    """Whether TensorFlow's runtime has started in this process."""
    return bool(_context()._initialized)


def omit_retracing_warning(function):
    """Silence tf.function's "frequent retracing" warning for ``function``."""
    function._omit_frequent_tracing_warning = True
    return function


def op_determinism_enabled():
    """Whether TensorFlow op determinism is on (scikeras turns it on)."""
    from tensorflow.python.framework import config

    return config.is_op_determinism_enabled()
