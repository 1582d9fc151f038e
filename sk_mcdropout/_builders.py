"""The networks: the built-in MLPs, and the checks and edits of a user's network."""

import numpy as np

from . import _compat
from ._backend import keras
from ._compat import InvalidParameterError


def build_mlp(meta, hidden_layer_sizes=(100,), activation="relu", p=0.2):
    """Build the default MLP: Dense -> Dropout per hidden layer, softmax output.

    Uncompiled; scikeras compiles it with the estimator's optimizer and loss.
    """
    if not len(hidden_layer_sizes):
        raise ValueError(
            "hidden_layer_sizes=() leaves the built-in network without a hidden "
            "layer, hence without a Dropout layer for Monte Carlo dropout to "
            "sample. Give it at least one hidden layer, e.g. "
            "hidden_layer_sizes=(100,)."
        )
    n_features = meta["n_features_in_"]
    n_classes = meta["n_classes_"]
    inputs = keras.Input(shape=(n_features,), name="x")
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
        x = keras.layers.Dropout(p, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="proba")(x)
    return keras.Model(inputs, outputs, name="mc_dropout_mlp")


def check_activation(name, caller):
    """Refuse an activation name that Keras does not know, in scikit-learn's words."""
    try:
        keras.activations.get(name)
    except ValueError:
        raise InvalidParameterError(
            f"The 'activation' parameter of {caller} must be a Keras activation "
            f"name such as 'relu', 'tanh' or 'gelu', or a callable. Got {name!r} "
            "instead."
        ) from None


def dropout_layers(model):
    """All ``keras.layers.Dropout`` layers of ``model``, nested ones included."""
    return [
        layer
        for layer in _compat.flatten_layers(model)
        if isinstance(layer, keras.layers.Dropout)
    ]


def set_dropout_rate(model, p):
    """Set the rate of every Dropout layer of ``model`` to ``p``."""
    for layer in dropout_layers(model):
        layer.rate = float(p)


def is_graph_model(model):
    """Whether ``model`` is a Sequential or functional network (not subclassed)."""
    return isinstance(model, (keras.Sequential, _compat.functional_class()))


def check_model(model):
    """Refuse networks that MC prediction cannot handle, with the reason."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"The network must be a keras.Model, got {type(model).__name__}."
        )
    if not dropout_layers(model):
        raise ValueError(
            "The network has no keras.layers.Dropout layer, so Monte Carlo "
            "dropout has nothing to sample: every pass would be identical. Add "
            "Dropout layers to the network (their rate is set by `p`)."
        )
    if not is_graph_model(model):
        raise ValueError(
            f"The network is a subclassed keras.Model ({type(model).__name__}), "
            "whose call graph cannot be inspected. Build it with the Sequential "
            "or the functional API."
        )


def _widest(model):
    widest = 1
    for layer in _compat.flatten_layers(model):
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if isinstance(shape, (list, tuple)) and shape and None in shape[1:]:
            continue
        try:
            widest = max(widest, int(np.prod(shape[1:])))
        except TypeError:
            continue
    return widest


def build_regression_mlp(
    meta,
    hidden_layer_sizes=(100,),
    activation="relu",
    p=0.2,
    input_dropout=False,
    heteroscedastic=False,
):
    """Build the default regression MLP: Dense -> Dropout per hidden layer.

    The output has ``n_outputs_`` linear units (the means); with
    ``heteroscedastic=True`` a second Dense head with a softplus activation
    adds ``n_outputs_`` noise variances, concatenated after the means. With
    ``input_dropout=True`` the inputs are dropped too, as in Gal & Ghahramani's
    UCI experiments. Uncompiled; scikeras compiles it.
    """
    if not len(hidden_layer_sizes) and not input_dropout:
        raise ValueError(
            "hidden_layer_sizes=() with input_dropout=False leaves the built-in "
            "network without a Dropout layer for Monte Carlo dropout to sample. "
            "Give it at least one hidden layer, e.g. hidden_layer_sizes=(100,), "
            "or set input_dropout=True (a linear model with dropped inputs)."
        )
    n_features = meta["n_features_in_"]
    n_outputs = meta["n_outputs_"]
    inputs = keras.Input(shape=(n_features,), name="x")
    x = inputs
    if input_dropout:
        x = keras.layers.Dropout(p, name="dropout_input")(x)
    for i, units in enumerate(hidden_layer_sizes):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
        x = keras.layers.Dropout(p, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(n_outputs, name="mean")(x)
    if heteroscedastic:
        variance = keras.layers.Dense(n_outputs, activation="softplus", name="var")(x)
        outputs = keras.layers.Concatenate(name="mean_var")([outputs, variance])
    return keras.Model(inputs, outputs, name="mc_dropout_regression_mlp")


def output_width(model):
    """Number of output columns of a single-output network (None if unknown)."""
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) != 1:
        return None
    width = outputs[0].shape[-1]
    return None if width is None else int(width)


def weights_finite(model):
    """Whether every weight of ``model`` (trainable or not) is finite."""
    return all(np.isfinite(w).all() for w in model.get_weights())


def training_state(model):
    """Copies of the weights and optimizer variables of ``model``."""
    optimizer = getattr(model, "optimizer", None)
    variables = getattr(optimizer, "variables", None) or []
    return model.get_weights(), [v.numpy() for v in variables]


def restore_training_state(model, state):
    """Put back the weights and optimizer variables saved by ``training_state``."""
    weights, values = state
    model.set_weights(weights)
    variables = getattr(getattr(model, "optimizer", None), "variables", None) or []
    if len(variables) == len(values):
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
