"""Keras networks and Keras objects to and from plain bytes and JSON.

Only Keras' own formats, loaded in safe mode: nothing here unpickles, and a
``Lambda`` layer (arbitrary code) is refused on loading.
"""

import os
import tempfile

from ._backend import keras


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
