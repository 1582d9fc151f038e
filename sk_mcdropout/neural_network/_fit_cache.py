"""The fit cache behind the ``memory`` parameter: keys and stored state.

A fit is a deterministic function of the training-relevant parameters, the
data and an integer ``random_state``. This module turns those into a key and
says which of an estimator's attributes are the fitted state (network,
encoders, history, seeds) that ``joblib.Memory`` stores on disk, so that a grid
over prediction-time parameters such as ``n_samples`` trains each network
once, in any process that shares the cache. The estimators call
``memory.cache`` themselves (``MCDropoutMixin._fit_through_cache``).

Networks given as ``model`` are described through ``sk_mcdropout._keras``.
"""

import functools
import inspect
import numbers
import os
import sys
import types

import joblib
import numpy as np
from sklearn.utils.validation import check_memory

from .. import _keras
from .._version import __version__

# Parameters that change prediction only; a grid over them must hit the cache.
_PREDICT_ONLY = frozenset({"memory", "n_samples", "max_chunk_memory", "verbose"})
# Estimator configuration that is not fitted state (set_output,
# set_fit_request): it belongs to the instance, not to the cached fit.
_CONFIG = frozenset({"_metadata_request", "_sklearn_output_config"})


def resolve_memory(memory):
    """``memory`` as a ``joblib.Memory`` (validated), or None."""
    if memory is None:
        return None
    # check_memory takes a str but not a pathlib.Path.
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return check_memory(memory)


def applies(memory, random_state, warm_start):
    """Whether a fit goes through the cache.

    Only a fresh fit with an integer ``random_state`` is a pure function of its
    inputs: unseeded fits differ by design, a ``RandomState`` instance is
    consumed by the fit, and warm starts and ``partial_fit`` continue a network
    that is not part of the key.
    """
    return (
        memory is not None
        and memory.location is not None
        and isinstance(random_state, numbers.Integral)
        and not warm_start
    )


def fitted_state(attributes, params):
    """What a cache entry stores of an estimator's ``attributes`` after a fit."""
    return {
        name: value
        for name, value in attributes.items()
        if name not in params and name not in _CONFIG
    }


def stale_attributes(attributes, params, state):
    """Attributes of an earlier fit that restoring ``state`` must remove."""
    return [
        name
        for name in attributes
        if name not in params and name not in _CONFIG and name not in state
    ]


def fit_key(estimator_type, params, build, X, y, sample_weight, fit_args):
    """Hash of everything a fresh fit depends on.

    ``params`` are the estimator's (``get_params(deep=False)``) and ``build``
    what builds its network. Parameters are described by value; callables by
    module, name, source and bound arguments, so that an edited build function
    trains anew. Library versions are part of the key because they change
    training numerically.
    """
    training = {
        name: _describe(value)
        for name, value in sorted(params.items())
        if name not in _PREDICT_ONLY
        and not name.startswith("predict__")
        and name != "fit__verbose"
    }
    return joblib.hash(
        {
            "estimator": _describe(estimator_type),
            "build": _describe(build),
            "params": training,
            "fit_args": _describe(fit_args),
            "X": X,
            "y": y,
            "sample_weight": sample_weight,
            "versions": _versions(),
        }
    )


def _versions():
    import scikeras
    import sklearn

    return (
        sys.version_info[:2],
        __version__,
        np.__version__,
        sklearn.__version__,
        scikeras.__version__,
        *_keras.backend_versions(),
    )


def _source(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        return None if code is None else (code.co_code, repr(code.co_consts))


def _describe(value):
    """A picklable, deterministic stand-in for ``value`` in the key."""
    if isinstance(value, dict):
        return {"dict": sorted((repr(k), _describe(v)) for k, v in value.items())}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_describe(v) for v in value])
    if isinstance(value, functools.partial):
        return (
            "partial",
            _describe(value.func),
            _describe(value.args),
            _describe(value.keywords),
        )
    if isinstance(value, types.MethodType):
        return ("method", _describe(value.__func__), _describe(value.__self__))
    if isinstance(value, (types.FunctionType, type)):
        cells = getattr(value, "__closure__", None) or ()
        closure = [_cell_contents(cell) for cell in cells]
        return (
            "code",
            value.__module__,
            value.__qualname__,
            _source(value),
            _describe(getattr(value, "__defaults__", None)),
            _describe(getattr(value, "__kwdefaults__", None)),
            _describe(closure),
        )
    if _keras.is_network(value):
        return _describe(_keras.describe_network(value))
    # Anything else (numbers, strings, arrays, callbacks, optimizer instances)
    # is hashed by joblib through its pickle: equal state, equal key.
    return value


def _cell_contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell: a closure variable not yet assigned
        return None
