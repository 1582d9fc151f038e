"""The networks: the built-in MLPs, and the checks and edits of a user's network."""

import numpy as np

from .. import _compat
from .._compat import InvalidParameterError
from ._backend import keras
from ._concrete import (
    DEFAULT_LENGTH_SCALE,
    DEFAULT_LOGIT_SCALE,
    DEFAULT_MIN_ROWS,
    ConcreteDropout,
    concrete_regularizers,
)
from ._dropout import RateDropout

CONCRETE = "concrete"


def _is_concrete(p):
    return isinstance(p, str) and p == CONCRETE


def _dense_stack(x, hidden_layer_sizes, activation, p, drop_inputs, regularizers):
    """Hidden Dense layers, each followed by dropout of rate ``p``.

    The dropout layers keep their rate in a variable (``RateDropout``), so
    that a kept network's compiled training loop serves every rate.

    With ``regularizers`` (concrete dropout), each ConcreteDropout wraps the
    next Dense layer instead; the caller wraps the heads with ``_head``.
    ``regularizers`` is (weight, dropout, logit_scale) for ConcreteDropout.
    """
    if drop_inputs and regularizers is None:
        x = RateDropout(p, name="dropout_input")(x)
    for i, units in enumerate(hidden_layer_sizes):
        dense = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")
        if regularizers is None:
            x = RateDropout(p, name=f"dropout_{i}")(dense(x))
        elif i > 0 or drop_inputs:
            x = _concrete(dense, regularizers, f"concrete_{i}")(x)
        else:
            x = dense(x)
    return x


def _concrete(dense, regularizers, name):
    weight, dropout, logit_scale = regularizers
    return ConcreteDropout(dense, weight, dropout, logit_scale=logit_scale, name=name)


def _head(x, dense, regularizers, dropped):
    if regularizers is None or not dropped:
        return dense(x)
    return _concrete(dense, regularizers, f"concrete_{dense.name}")(x)


def build_mlp(
    meta,
    hidden_layer_sizes=(100,),
    activation="relu",
    p=0.2,
    length_scale=DEFAULT_LENGTH_SCALE,
    logit_scale=DEFAULT_LOGIT_SCALE,
    min_rows=DEFAULT_MIN_ROWS,
):
    """Build the default MLP: Dense -> Dropout per hidden layer, softmax output.

    ``p="concrete"`` puts ConcreteDropout layers in the same places (each wraps
    the Dense layer after the dropped output), with the regularisers of a
    cross-entropy loss for the training rows in ``meta``, ``length_scale``
    and ``min_rows`` (see ``concrete_regularizers``).
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
    regularizers = None
    if _is_concrete(p):
        regularizers = concrete_regularizers(
            meta["X_shape_"][0], length_scale=length_scale, nll=True, min_rows=min_rows
        ) + (logit_scale,)
    inputs = keras.Input(shape=(n_features,), name="x")
    x = _dense_stack(inputs, hidden_layer_sizes, activation, p, False, regularizers)
    head = keras.layers.Dense(n_classes, activation="softmax", name="proba")
    outputs = _head(x, head, regularizers, bool(hidden_layer_sizes))
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
    """All dropout layers of ``model`` (``keras.layers.Dropout`` and
    ``ConcreteDropout``), nested ones included, in the model's layer order."""
    return [
        layer
        for layer in _compat.flatten_layers(model)
        if isinstance(layer, (keras.layers.Dropout, ConcreteDropout))
    ]


def concrete_layers(model):
    """The ``ConcreteDropout`` layers of ``model``."""
    return [
        layer for layer in dropout_layers(model) if isinstance(layer, ConcreteDropout)
    ]


def set_dropout_rate(model, p):
    """Set the rate of every Dropout layer of ``model`` to ``p``.

    ``ConcreteDropout`` layers keep their learnt rates.
    """
    for layer in dropout_layers(model):
        if not isinstance(layer, ConcreteDropout):
            layer.rate = float(p)


def set_concrete_regularizers(model, n_rows, nll):
    """Give the ConcreteDropout layers of ``model`` whose regularisers are
    unset the reference values for ``n_rows`` training rows."""
    weight, dropout = concrete_regularizers(n_rows, nll=nll)
    for layer in concrete_layers(model):
        if layer.weight_regularizer is None:
            layer.weight_regularizer = weight
        if layer.dropout_regularizer is None:
            layer.dropout_regularizer = dropout


def dropout_rates(model):
    """The rate of each dropout layer of ``model``, learnt ones included."""
    return [float(layer.rate) for layer in dropout_layers(model)]


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
            "The network has no keras.layers.Dropout layer (nor ConcreteDropout), "
            "so Monte Carlo dropout has nothing to sample: every pass would be "
            "identical. Add Dropout layers to the network (their rate is set "
            "by `p`)."
        )
    if not is_graph_model(model):
        raise ValueError(
            f"The network is a subclassed keras.Model ({type(model).__name__}), "
            "whose call graph cannot be inspected. Build it with the Sequential "
            "or the functional API."
        )


def widest_layer(model):
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
    length_scale=DEFAULT_LENGTH_SCALE,
    tau=1.0,
    logit_scale=DEFAULT_LOGIT_SCALE,
    min_rows=DEFAULT_MIN_ROWS,
):
    """Build the default regression MLP: Dense -> Dropout per hidden layer.

    The output has ``n_outputs_`` linear units (the means); with
    ``heteroscedastic=True`` a second Dense head with a softplus activation
    adds ``n_outputs_`` noise variances, concatenated after the means. With
    ``input_dropout=True`` the inputs are dropped too, as in Gal & Ghahramani's
    UCI experiments. ``p="concrete"`` puts ``ConcreteDropout`` in the same
    places (each head of a heteroscedastic network gets its own), with the
    regularisers of the training loss (mean squared error with precision
    ``tau`` on the standardised targets, or the Gaussian negative
    log-likelihood) for the training rows in ``meta``, ``length_scale`` and
    ``min_rows`` (see ``concrete_regularizers``). Uncompiled; scikeras
    compiles it.
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
    regularizers = None
    if _is_concrete(p):
        regularizers = concrete_regularizers(
            meta["X_shape_"][0],
            length_scale=length_scale,
            tau=tau,
            nll=heteroscedastic,
            min_rows=min_rows,
        ) + (logit_scale,)
    inputs = keras.Input(shape=(n_features,), name="x")
    x = _dense_stack(
        inputs, hidden_layer_sizes, activation, p, input_dropout, regularizers
    )
    dropped = bool(hidden_layer_sizes) or bool(input_dropout)
    outputs = _head(
        x, keras.layers.Dense(n_outputs, name="mean"), regularizers, dropped
    )
    if heteroscedastic:
        variance = _head(
            x,
            keras.layers.Dense(n_outputs, activation="softplus", name="var"),
            regularizers,
            dropped,
        )
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


def check_prefit(model):
    """Check a trained network for wrapping; return (n_features, output width).

    On top of ``check_model``: one input of shape (rows, n_features) and one
    output of shape (rows, width), both widths known.
    """
    check_model(model)
    try:
        inputs, outputs = model.inputs or [], model.outputs or []
    except (AttributeError, ValueError):
        # An unbuilt Sequential model has neither.
        inputs = outputs = []
    if len(inputs) != 1 or len(inputs[0].shape) != 2 or inputs[0].shape[1] is None:
        shapes = [tuple(i.shape) for i in inputs]
        raise ValueError(
            "The network must have one input of shape (rows, n_features) with "
            f"a known n_features, got input shape(s) {shapes}."
        )
    if len(outputs) != 1 or len(outputs[0].shape) != 2 or outputs[0].shape[1] is None:
        shapes = [tuple(o.shape) for o in outputs]
        raise ValueError(
            "The network must have one output of shape (rows, width) with a "
            f"known width, got output shape(s) {shapes}."
        )
    return int(inputs[0].shape[1]), int(outputs[0].shape[1])
