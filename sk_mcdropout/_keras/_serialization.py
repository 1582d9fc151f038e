"""Keras networks and Keras objects to and from plain bytes and JSON.

Only Keras' own formats, loaded in safe mode: nothing here unpickles, and a
``Lambda`` layer (arbitrary code) is refused on loading.
"""

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from ._backend import keras

# Marks a network stored as its bytes in an estimator's pickled state.
_KERAS_TAG = "__sk_mcdropout_keras__"


def is_network(obj):
    return isinstance(obj, keras.Model)


def network_to_bytes(model):
    """The ``.keras`` archive of ``model`` (architecture, weights), as bytes.

    The same network gives the same bytes at any time: Keras stamps the
    archive with the time of saving (``date_saved`` in its metadata and the
    date of a member), so pickles of one estimator made a second apart would
    differ, and whatever tells objects apart by their pickle (Dask's
    ``tokenize``, joblib's hashing) would take them for different objects.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.keras")
        model.save(path)
        out = io.BytesIO()
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == "metadata.json":
                    metadata = json.loads(data)
                    metadata.pop("date_saved", None)
                    data = json.dumps(metadata).encode()
                stamped = zipfile.ZipInfo(info.filename, date_time=_NO_DATE)
                stamped.compress_type = info.compress_type
                target.writestr(stamped, data)
        return out.getvalue()


# The earliest date a zip member can carry.
_NO_DATE = (1980, 1, 1, 0, 0, 0)


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
