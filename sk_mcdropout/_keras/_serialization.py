"""Keras networks and Keras objects to and from plain bytes and JSON.

Only Keras' own formats, loaded in safe mode: nothing here unpickles, and a
``Lambda`` layer (arbitrary code) is refused on loading.
"""

import os
import tempfile

import numpy as np

from ._backend import keras

# Marks a network stored as its bytes in an estimator's pickled state.
_KERAS_TAG = "__sk_mcdropout_keras__"


def is_network(obj):
    return isinstance(obj, keras.Model)


def network_to_bytes(model):
    """The ``.keras`` archive of ``model`` (architecture, weights), as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.keras")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def network_from_bytes(data):
    """A network from ``network_to_bytes``, loaded with ``safe_mode=True``."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.keras")
        with open(path, "wb") as file:
            file.write(data)
        # Not compiled: loading then needs no loss or metric code; a refit
        # compiles it with the estimator's optimizer and loss.
        return keras.saving.load_model(path, compile=False, safe_mode=True)


def describe_network(model):
    """What training from ``model`` depends on, as plain data.

    A pickled keras.Model embeds a save timestamp; its class, architecture,
    weights and compile state are what a fit that starts from it depends on.
    """
    optimizer = getattr(model, "optimizer", None)
    return (
        "keras.Model",
        type(model),
        model.to_json(),
        [np.asarray(w) for w in model.weights],
        model.get_compile_config() if model.compiled else None,
        [np.asarray(v) for v in optimizer.variables] if optimizer is not None else None,
    )


def is_keras_object(obj):
    """Whether ``obj`` is a Keras optimizer, loss or metric instance."""
    return isinstance(
        obj, (keras.optimizers.Optimizer, keras.losses.Loss, keras.metrics.Metric)
    )


def keras_object_config(obj):
    """The JSON-able Keras config of an optimizer, loss or metric."""
    return keras.saving.serialize_keras_object(obj)


def keras_object_from_config(config):
    return keras.saving.deserialize_keras_object(config, safe_mode=True)


def encode_networks(state):
    """Replace the Keras networks in an estimator's state by their bytes.

    skops cannot walk a Keras model (its graph is cyclic and full of
    TensorFlow objects); bytes and dicts it stores as plain data. The
    ``model`` parameter, when it is the fitted network itself (as after
    ``from_keras``), refers to it instead of being stored twice.
    """
    state = dict(state)
    fitted = state.get("model_")
    if fitted is not None and is_network(fitted):
        state["model_"] = {_KERAS_TAG: network_to_bytes(fitted)}
    model = state.get("model")
    if model is not None and model is fitted:
        state["model"] = {_KERAS_TAG: "model_"}
    elif model is not None and is_network(model):
        state["model"] = {_KERAS_TAG: network_to_bytes(model)}
    return state


def decode_networks(state):
    """Inverse of ``encode_networks``: networks loaded with ``safe_mode=True``."""
    state = dict(state)
    for key in ("model_", "model"):
        value = state.get(key)
        if isinstance(value, dict) and set(value) == {_KERAS_TAG}:
            data = value[_KERAS_TAG]
            if isinstance(data, str):
                state[key] = state[data]
            else:
                state[key] = network_from_bytes(bytes(data))
    return state
