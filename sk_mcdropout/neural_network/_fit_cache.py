"""The fit cache behind the ``memory`` parameter.

A fit is a deterministic function of the training-relevant parameters, the
data and an integer ``random_state``. This module turns those into a key and
lets ``joblib.Memory`` store the fitted state (network, encoders, history,
seeds) on disk, so that a grid over prediction-time parameters such as
``n_samples`` trains each network once, in any process that shares the cache.

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


def applies(estimator, warm_start):
    """Whether this fit goes through the cache.

    Only a fresh fit with an integer ``random_state`` is a pure function of its
    inputs: unseeded fits differ by design, a ``RandomState`` instance is
    consumed by the fit, and warm starts and ``partial_fit`` continue a network
    that is not part of the key.
    """
    memory = getattr(estimator, "memory", None)
    if memory is None:
        return False
    # Validate even when the cache is not used, so a wrong value fails early.
    memory = _memory(estimator)
    return (
        memory.location is not None
        and isinstance(estimator.random_state, numbers.Integral)
        and not (warm_start or estimator.warm_start)
    )


def fit(estimator, X, y, sample_weight, fit_args):
    """Fit ``estimator`` through its ``memory``: load the state or train and store."""
    memory = _memory(estimator)
    key = fit_key(estimator, X, y, sample_weight, fit_args)
    cached = memory.cache(
        _train, ignore=["estimator", "X", "y", "sample_weight", "fit_args"]
    )
    state = cached(key, estimator, X, y, sample_weight, fit_args)
    _restore(estimator, state)


def _memory(estimator):
    memory = estimator.memory
    # check_memory takes a str but not a pathlib.Path.
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return check_memory(memory)


def _train(key, estimator, X, y, sample_weight, fit_args):
    # Only `key` is hashed by joblib: it already covers everything else, and
    # hashing a keras.Model argument would not be stable across pickles.
    estimator._train(X, y, sample_weight, warm_start=False, **fit_args)
    return _fitted_state(estimator)


def _fitted_state(estimator):
    params = estimator.get_params(deep=False)
    return {
        name: value
        for name, value in vars(estimator).items()
        if name not in params and name not in _CONFIG
    }


def _restore(estimator, state):
    # The estimator must end up exactly as a fresh fit would leave it: drop
    # fitted attributes of an earlier fit that this one does not have (e.g.
    # feature_names_in_ after a DataFrame fit), then set this fit's.
    params = estimator.get_params(deep=False)
    for name in list(vars(estimator)):
        if name not in params and name not in _CONFIG and name not in state:
            delattr(estimator, name)
    vars(estimator).update(state)


def fit_key(estimator, X, y, sample_weight, fit_args):
    """Hash of everything a fresh fit depends on.

    Parameters are described by value; callables by module, name, source and
    bound arguments, so that an edited build function trains anew. Library
    versions are part of the key because they change training numerically.
    """
    params = estimator.get_params(deep=False)
    training = {
        name: _describe(value)
        for name, value in sorted(params.items())
        if name not in _PREDICT_ONLY
        and not name.startswith("predict__")
        and name != "fit__verbose"
    }
    return joblib.hash(
        {
            "estimator": _describe(type(estimator)),
            "build": _describe(estimator._check_model_param()),
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
