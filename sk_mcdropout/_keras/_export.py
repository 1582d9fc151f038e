"""A fitted network at its ``n_samples`` as a fixed ensemble, for export.

Pass k multiplies each Dropout layer's inputs by the k-th of masks fixed by
the fitted seed and shared by all rows (``pass_masks``), so the ``n_samples``
passes are ``n_samples`` fixed thinned networks. ``network_graph`` writes them
with the masks as constants into a small graph of ONNX-named operations
(``Graph``); the heads (moments, measures, reject rules) are written into the
same graph from plain parameters. The graph is then evaluated with NumPy
(``evaluate``), written as ONNX (``sk_mcdropout.export``) or run by TensorFlow
and saved as a SavedModel (``save_saved_model``). None of them has a random
operation.

Values are either shared by the passes, (rows, width), or per pass,
(n_passes, rows, width); a per-pass value broadcasts against a shared one.
"""

import json
import os

import numpy as np

from .. import _atomic
from ._backend import keras, tf
from ._builders import dropout_layers
from ._concrete import ConcreteDropout
from ._sampler import pass_masks

# Activations by the Keras function; each is a sequence of graph operations.
_ACTIVATIONS = {
    "linear": (),
    "relu": ("Relu",),
    "tanh": ("Tanh",),
    "sigmoid": ("Sigmoid",),
    "softmax": ("Softmax",),
    "elu": ("Elu",),
    "selu": ("Selu",),
    "softplus": ("Softplus",),
    "softsign": ("Softsign",),
    "exponential": ("Exp",),
    "silu": ("Silu",),
}
_SWISH_NAMES = ("swish",)


class Graph:
    """Operations in the order they run, on named values.

    ``nodes`` holds (op_type, inputs, attributes, output) tuples with ONNX
    operation names and attributes; ``constants`` maps names to arrays. The
    input is ``"X"``, float32 of shape (rows, n_features).
    """

    def __init__(self):
        self.nodes = []
        self.constants = {}
        self._count = 0

    def name(self, prefix):
        """A fresh value name."""
        self._count += 1
        return f"{prefix}{self._count}"

    def const(self, value, dtype=np.float32):
        name = self.name("c")
        self.constants[name] = np.asarray(value, dtype=dtype)
        return name

    def op(self, op_type, *inputs, **attributes):
        name = self.name("v")
        self.nodes.append((op_type, tuple(inputs), attributes, name))
        return name

    @property
    def op_types(self):
        """The set of operation types in the graph."""
        return {node[0] for node in self.nodes}


# ----------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------


def _activation_name(activation, layer):
    for name in (*_ACTIVATIONS, *_SWISH_NAMES):
        if activation is getattr(keras.activations, name, None):
            return "silu" if name in _SWISH_NAMES else name
    if activation is None:
        return "linear"
    raise ValueError(
        f"Cannot export layer {layer.name!r} ({type(layer).__name__}): its "
        f"activation {getattr(activation, '__name__', activation)!r} is not one "
        f"of {sorted(_ACTIVATIONS)}."
    )


def _activate(g, x, name):
    if name == "silu":
        return g.op("Mul", x, g.op("Sigmoid", x))
    for op_type in _ACTIVATIONS[name]:
        x = g.op(op_type, x, axis=-1) if op_type == "Softmax" else g.op(op_type, x)
    return x


def _refuse(layer, why):
    raise ValueError(
        f"Cannot export layer {layer.name!r} ({type(layer).__name__}): {why}. "
        "Export translates Dense, Dropout, ConcreteDropout, BatchNormalization, "
        "Activation, Softmax, ReLU, Concatenate and Add layers of Sequential and "
        "functional networks."
    )


def _dense_weights(layer):
    if (
        type(layer) is not keras.layers.Dense
        or getattr(layer, "lora_enabled", False)
        or getattr(layer, "quantization_mode", None) is not None
    ):
        _refuse(layer, "only plain Dense layers are translated")
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float32)
    bias = None
    if layer.use_bias:
        bias = np.asarray(keras.ops.convert_to_numpy(layer.bias), np.float32)
    return kernel, bias


class _Writer:
    """Writes the layers of one network into a Graph."""

    def __init__(self, g, masks, n_passes, max_fold_bytes):
        self.g = g
        self.masks = masks
        self.n_passes = n_passes
        self.max_fold_bytes = max_fold_bytes
        self.per_pass = set()
        # Dropout outputs not computed yet: value -> (input value, masks).
        self.pending = {}
        self.masked = {}
        self.consumers = {}
        self.folded_bytes = 0
        self.mask_bytes = 0
        self.folded_layers = []

    def value(self, name):
        """The value ``name``, masking a pending Dropout output."""
        if name in self.masked:
            return self.masked[name]
        if name not in self.pending:
            return name
        x, masks = self.pending.pop(name)
        out = self.g.op("Mul", x, self.const_masks(masks))
        self.per_pass.add(out)
        self.masked[name] = out
        return out

    def const_masks(self, masks):
        # (n_passes, 1, *per_row): the same mask for every row of a pass.
        array = np.expand_dims(masks.astype(np.float32), 1)
        self.mask_bytes += array.nbytes
        return self.g.const(array)

    def dropout(self, layer, x):
        masks = self.masks[layer]
        if layer.noise_shape is not None and any(
            d is not None for d in layer.noise_shape[1:]
        ):
            _refuse(layer, "noise_shape is not translated")
        name = self.g.name("d")
        self.pending[name] = (x, masks)
        return name

    def dense(self, layer, x):
        kernel, bias = _dense_weights(layer)
        activation = _activation_name(layer.activation, layer)
        pending = self.pending.get(x)
        folded_bytes = self.n_passes * kernel.nbytes
        if pending is not None and self.consumers.get(x, 0) == 1:
            if folded_bytes <= self.max_fold_bytes:
                # (x * m_k) @ W == x @ (m_k[:, None] * W): the masks go into N
                # kernels, one per pass.
                source, masks = self.pending.pop(x)
                kernels = masks[:, :, None].astype(np.float32) * kernel
                self.folded_bytes += kernels.nbytes
                self.folded_layers.append(layer.name)
                y = self.g.op("MatMul", source, self.g.const(kernels))
                self.per_pass.add(y)
                return self._finish(y, bias, activation, per_pass=True)
        x = self.value(x)
        y = self.g.op("MatMul", x, self.g.const(kernel))
        return self._finish(y, bias, activation, per_pass=x in self.per_pass)

    def _finish(self, y, bias, activation, per_pass):
        if bias is not None:
            y = self.g.op("Add", y, self.g.const(bias))
        y = _activate(self.g, y, activation)
        if per_pass:
            self.per_pass.add(y)
        return y

    def elementwise(self, x, build):
        x = self.value(x)
        y = build(x)
        if x in self.per_pass:
            self.per_pass.add(y)
        return y

    def batch_norm(self, layer, x):
        axis = layer.axis if isinstance(layer.axis, int) else list(layer.axis)
        if axis not in (-1, 1, [-1], [1]):
            _refuse(layer, "only normalisation over the last axis is translated")

        def numpy(v):
            return np.asarray(keras.ops.convert_to_numpy(v), np.float64)

        # Inference mode: the moving statistics, as a scale and a shift.
        scale = 1.0 / np.sqrt(numpy(layer.moving_variance) + layer.epsilon)
        if layer.scale:
            scale = scale * numpy(layer.gamma)
        shift = -numpy(layer.moving_mean) * scale
        if layer.center:
            shift = shift + numpy(layer.beta)
        return self.elementwise(
            x,
            lambda v: self.g.op(
                "Add",
                self.g.op("Mul", v, self.g.const(scale.astype(np.float32))),
                self.g.const(shift.astype(np.float32)),
            ),
        )

    def merge(self, layer, inputs):
        inputs = [self.value(v) for v in inputs]
        per_pass = any(v in self.per_pass for v in inputs)
        if per_pass and not all(v in self.per_pass for v in inputs):
            # Concat does not broadcast: shared inputs get the passes axis.
            zeros = self.g.const(np.zeros((self.n_passes, 1, 1), np.float32))
            inputs = [
                v if v in self.per_pass else self.g.op("Add", v, zeros) for v in inputs
            ]
        if isinstance(layer, keras.layers.Concatenate):
            if layer.axis not in (-1, 1):
                _refuse(layer, "only concatenation along the last axis is translated")
            y = self.g.op("Concat", *inputs, axis=-1)
        else:
            y = inputs[0]
            for v in inputs[1:]:
                y = self.g.op("Add", y, v)
        if per_pass:
            self.per_pass.add(y)
        return y

    def layer(self, layer, inputs):
        if isinstance(layer, keras.layers.InputLayer):
            return inputs[0]
        if isinstance(layer, (keras.layers.Concatenate, keras.layers.Add)):
            return self.merge(layer, inputs)
        if len(inputs) != 1:
            _refuse(layer, "it has several inputs")
        x = inputs[0]
        if isinstance(layer, ConcreteDropout):
            dropped = self.dropout(layer, x)
            self.consumers[dropped] = 1
            return self.dense(layer.layer, dropped)
        if isinstance(layer, keras.layers.Dropout):
            return self.dropout(layer, x)
        if isinstance(layer, keras.layers.Dense):
            return self.dense(layer, x)
        if isinstance(layer, keras.layers.BatchNormalization):
            return self.batch_norm(layer, x)
        if type(layer) is keras.layers.Activation:
            name = _activation_name(layer.activation, layer)
            return self.elementwise(x, lambda v: _activate(self.g, v, name))
        if type(layer) is keras.layers.Softmax:
            if layer.axis not in (-1, [-1]):
                _refuse(layer, "only softmax over the last axis is translated")
            return self.elementwise(x, lambda v: self.g.op("Softmax", v, axis=-1))
        if type(layer) is keras.layers.ReLU:
            if layer.max_value is not None or layer.negative_slope or layer.threshold:
                _refuse(layer, "only a plain ReLU is translated")
            return self.elementwise(x, lambda v: self.g.op("Relu", v))
        _refuse(layer, "this kind of layer is not translated")


def _graph_layers(model):
    """(layer, input tensors, output tensor) of a network, in order."""
    if isinstance(model, keras.Sequential):
        layers = [layer for layer in model.layers]
        steps, previous = [], "input"
        for layer in layers:
            steps.append((layer, [previous], layer))
            previous = layer
        return steps, "input", layers[-1] if layers else "input"
    steps = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            _refuse(layer, "nested models are not translated")
        try:
            inputs = layer.input
            output = layer.output
        except (AttributeError, ValueError):
            _refuse(layer, "it is called more than once in the network")
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if isinstance(output, (list, tuple)):
            _refuse(layer, "it has several outputs")
        steps.append((layer, [id(t) for t in inputs], id(output)))
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("Export needs a network with one input and one output.")
    return steps, id(model.inputs[0]), id(model.outputs[0])


def network_graph(g, model, n_passes, seed, max_fold_bytes):
    """Write the ``n_passes`` passes of ``model`` into ``g``, reading ``"X"``.

    A Dropout layer whose only reader is a Dense layer goes into that layer's
    kernel, one masked kernel per pass, when the ``n_passes`` kernels take at
    most ``max_fold_bytes``; any other is a multiplication by its constant
    masks. Returns the per-pass output value, of shape (n_passes, rows,
    width), and a dict describing the graph (folded layers, bytes of
    constants).
    """
    steps, input_key, output_key = _graph_layers(model)
    writer = _Writer(g, pass_masks(model, n_passes, seed), n_passes, max_fold_bytes)
    consumers = {}
    for _, inputs, _ in steps:
        for key in inputs:
            consumers[key] = consumers.get(key, 0) + 1
    values = {input_key: "X"}
    for layer, inputs, output in steps:
        names = [values[key] for key in inputs]
        writer.consumers = {
            values[key]: consumers[key] for key in inputs if key in values
        }
        values[output] = writer.layer(layer, names)
    out = writer.value(values[output_key])
    n_dropout = len(dropout_layers(model))
    if out not in writer.per_pass:
        # No dropout layer is upstream of the output: every pass is the same.
        out = g.op("Add", out, g.const(np.zeros((n_passes, 1, 1), np.float32)))
    info = dict(
        n_passes=n_passes,
        n_dropout_layers=n_dropout,
        folded_layers=writer.folded_layers,
        folded_kernel_bytes=writer.folded_bytes,
        mask_bytes=writer.mask_bytes,
    )
    return out, info


# ----------------------------------------------------------------------------
# Heads
# ----------------------------------------------------------------------------


def _moments(g, samples):
    """Mean and population std over the passes (axis 0)."""
    mean = g.op("ReduceMean", samples, axes=[0], keepdims=0)
    deviation = g.op("Sub", samples, mean)
    variance = g.op(
        "ReduceMean", g.op("Mul", deviation, deviation), axes=[0], keepdims=0
    )
    return mean, variance


def _entropy(g, p, axis=-1):
    # p * log(p) is 0 for p == 0, as in sk_mcdropout.uncertainty.
    logp = g.op("Log", g.op("Max", p, g.const(np.float64(1e-300), np.float64)))
    return g.op("Neg", g.op("ReduceSum", g.op("Mul", p, logp), axes=[axis], keepdims=0))


def classifier_heads(g, samples, n_classes, width):
    """Probabilities and uncertainty of a classifier from its passes.

    ``samples`` is float32 (n_passes, rows, width): class probabilities, or
    one sigmoid unit (width 1) for two classes. Everything after it is float64, as in
    the estimator. Returns a dict of values: ``samples`` (n_passes, rows,
    n_classes), ``mean`` (rows, n_classes, unnormalised), ``probabilities``
    (rows sum to 1), ``std``, ``entropy``, ``mutual_information`` and
    ``label_index``.
    """
    p = g.op("Cast", samples, to="float64")
    if n_classes == 2 and width == 1:
        # A single sigmoid unit: [1 - p, p], as the sampler widens it.
        p = g.op(
            "Concat", g.op("Sub", g.const(np.float64(1.0), np.float64), p), p, axis=-1
        )
    mean, variance = _moments(g, p)
    probabilities = g.op("Div", mean, g.op("ReduceSum", mean, axes=[1], keepdims=1))
    entropy = _entropy(g, mean)
    expected = g.op("ReduceMean", _entropy(g, p), axes=[0], keepdims=0)
    mutual = g.op(
        "Max", g.op("Sub", entropy, expected), g.const(np.float64(0.0), np.float64)
    )
    return dict(
        samples=p,
        mean=mean,
        probabilities=probabilities,
        std=g.op("Sqrt", variance),
        entropy=entropy,
        mutual_information=mutual,
        label_index=g.op("ArgMax", probabilities, axis=1, keepdims=0),
    )


def _measure(g, heads, name, n_passes, n_classes):
    """One of the reject options' uncertainty measures, float64 (rows,)."""
    mean = heads["mean"]
    if name == "max_probability":
        return g.op(
            "Sub",
            g.const(np.float64(1.0), np.float64),
            g.op("ReduceMax", mean, axes=[1], keepdims=0),
        )
    if name == "predictive_entropy":
        return heads["entropy"]
    if name == "mutual_information":
        return heads["mutual_information"]
    if name == "variation_ratio":
        votes = g.op("ArgMax", heads["samples"], axis=-1, keepdims=0)
        one_hot = g.op(
            "Equal",
            g.op("Unsqueeze", votes, axes=[-1]),
            g.const(np.arange(n_classes), np.int64),
        )
        counts = g.op(
            "ReduceSum", g.op("Cast", one_hot, to="float64"), axes=[0], keepdims=0
        )
        top = g.op("ReduceMax", counts, axes=[1], keepdims=0)
        return g.op(
            "Sub",
            g.const(np.float64(1.0), np.float64),
            g.op("Div", top, g.const(np.float64(n_passes), np.float64)),
        )
    if name == "predicted_class_std":
        predicted = g.op("ArgMax", mean, axis=1, keepdims=1)
        return g.op(
            "Squeeze", g.op("GatherElements", heads["std"], predicted, axis=1), axes=[1]
        )
    raise ValueError(f"Unknown measure {name!r}.")


def _above(g, primary, secondary, threshold, tiebreak):
    """(primary, secondary) > (threshold, tiebreak), lexicographically."""

    def const(v):
        return g.const(np.float64(v), np.float64)

    above = g.op("Greater", primary, const(threshold))
    tie = g.op(
        "And",
        g.op("Equal", primary, const(threshold)),
        g.op("Greater", secondary, const(tiebreak)),
    )
    return g.op("Or", above, tie)


def reject_classifier_heads(g, heads, spec, n_passes, n_classes):
    """The rejected flag and its reason (0 accepted, 1 ambiguous, 2 novel).

    ``spec`` holds the fitted rule: ``measure``, ``threshold``, ``tiebreak``,
    and ``novelty_measure`` with ``novelty_threshold`` (None without guard).
    """
    measure = spec["measure"]
    primary = _measure(g, heads, measure, n_passes, n_classes)
    if measure == "max_probability":
        secondary = heads["entropy"]
    else:
        secondary = _measure(g, heads, "max_probability", n_passes, n_classes)
    ambiguous = _above(g, primary, secondary, spec["threshold"], spec["tiebreak"])
    reason = g.op("Cast", ambiguous, to="int64")
    rejected = ambiguous
    if spec.get("novelty_measure") is not None:
        novelty = _measure(g, heads, spec["novelty_measure"], n_passes, n_classes)
        novel = g.op(
            "Greater",
            novelty,
            g.const(np.float64(spec["novelty_threshold"]), np.float64),
        )
        rejected = g.op("Or", ambiguous, novel)
        reason = g.op("Where", novel, g.const(np.int64(2), np.int64), reason)
    return rejected, reason


def regressor_heads(g, samples, spec):
    """Predictive mean and std of a regressor, in the units of y.

    ``spec``: ``n_outputs``, ``noise_var`` (homoscedastic noise variances in
    standardised units, or None when the network predicts them after the
    means), ``noise_scale``, ``min_variance``, and the target encoder's
    ``mean`` and ``scale``. Returns (mean, std), float64 (rows, n_outputs).
    """
    k = spec["n_outputs"]
    out = g.op("Cast", samples, to="float64")
    means = g.op("Slice", out, starts=[0], ends=[k], axes=[-1])
    mean, variance = _moments(g, means)
    if spec["noise_var"] is None:
        raw = g.op("Slice", out, starts=[k], ends=[2 * k], axes=[-1])
        noise = g.op("ReduceMean", raw, axes=[0], keepdims=0)
        noise = g.op(
            "Mul",
            g.op("Add", noise, g.const(np.float64(spec["min_variance"]), np.float64)),
            g.const(spec["noise_scale"], np.float64),
        )
    else:
        noise = g.const(spec["noise_var"], np.float64)
    std = g.op("Sqrt", g.op("Add", variance, noise))
    scale = g.const(spec["scale"], np.float64)
    y_mean = g.op("Add", g.op("Mul", mean, scale), g.const(spec["mean"], np.float64))
    return y_mean, g.op("Mul", std, scale)


def reject_regressor_heads(g, std, spec):
    """Rows whose predictive std is above the fitted threshold."""
    zeros = g.op("Mul", std, g.const(np.float64(0.0), np.float64))
    return _above(g, std, zeros, spec["threshold"], spec["tiebreak"])


# ----------------------------------------------------------------------------
# Evaluation: NumPy and TensorFlow
# ----------------------------------------------------------------------------


def _axes(attributes):
    return tuple(attributes["axes"])


def _slice(x, starts, ends, axes):
    index = [slice(None)] * x.ndim
    index[axes[0]] = slice(starts[0], min(ends[0], x.shape[axes[0]]))
    return x[tuple(index)]


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_NUMPY = {
    "MatMul": lambda a, b, **_: np.matmul(a, b),
    "Add": lambda a, b, **_: a + b,
    "Sub": lambda a, b, **_: a - b,
    "Mul": lambda a, b, **_: a * b,
    "Div": lambda a, b, **_: a / b,
    "Max": lambda a, b, **_: np.maximum(a, b),
    "Neg": lambda a, **_: -a,
    "Sqrt": lambda a, **_: np.sqrt(a),
    "Log": lambda a, **_: np.log(a),
    "Exp": lambda a, **_: np.exp(a),
    "Relu": lambda a, **_: np.maximum(a, 0),
    "Tanh": lambda a, **_: np.tanh(a),
    "Sigmoid": lambda a, **_: 1 / (1 + np.exp(-a)),
    "Softmax": lambda a, axis, **_: _softmax(a, axis),
    "Elu": lambda a, **_: np.where(a > 0, a, np.expm1(np.minimum(a, 0))),
    "Selu": lambda a, **_: (
        1.0507009873554805
        * np.where(a > 0, a, 1.6732632423543772 * np.expm1(np.minimum(a, 0)))
    ),
    "Softplus": lambda a, **_: np.logaddexp(a, 0),
    "Softsign": lambda a, **_: a / (1 + np.abs(a)),
    "ReduceMean": lambda a, **k: a.mean(axis=_axes(k), keepdims=bool(k["keepdims"])),
    "ReduceSum": lambda a, **k: a.sum(axis=_axes(k), keepdims=bool(k["keepdims"])),
    "ReduceMax": lambda a, **k: a.max(axis=_axes(k), keepdims=bool(k["keepdims"])),
    "ArgMax": lambda a, axis, keepdims, **_: np.argmax(
        a, axis=axis, keepdims=bool(keepdims)
    ),
    "Concat": lambda *a, axis, **_: np.concatenate(a, axis=axis),
    "Slice": lambda a, starts, ends, axes, **_: _slice(a, starts, ends, axes),
    "Cast": lambda a, to, **_: a.astype(to),
    "Equal": lambda a, b, **_: a == b,
    "Greater": lambda a, b, **_: a > b,
    "And": lambda a, b, **_: a & b,
    "Or": lambda a, b, **_: a | b,
    "Where": lambda c, a, b, **_: np.where(c, a, b),
    "Unsqueeze": lambda a, axes, **_: np.expand_dims(a, tuple(axes)),
    "Squeeze": lambda a, axes, **_: np.squeeze(a, tuple(axes)),
    "GatherElements": lambda a, i, axis, **_: np.take_along_axis(a, i, axis),
    "Gather": lambda a, i, **_: a[i],
}


def evaluate(g, outputs, X):
    """Evaluate the graph with NumPy; ``outputs`` maps names to values."""
    values = dict(g.constants, X=np.asarray(X, dtype=np.float32))
    for op_type, inputs, attributes, name in g.nodes:
        values[name] = _NUMPY[op_type](*(values[i] for i in inputs), **attributes)
    return {key: values[value] for key, value in outputs.items()}


def _tf_slice(x, starts, ends, axes):
    axis = axes[0] % len(x.shape)
    begin = [0] * len(x.shape)
    size = [-1] * len(x.shape)
    width = x.shape[axis]
    start = starts[0] % width if starts[0] < 0 else starts[0]
    begin[axis] = start
    size[axis] = min(ends[0], width) - start
    return tf.slice(x, begin, size)


_TF = {
    "MatMul": lambda a, b, **_: tf.matmul(a, b),
    "Add": lambda a, b, **_: a + b,
    "Sub": lambda a, b, **_: a - b,
    "Mul": lambda a, b, **_: a * b,
    "Div": lambda a, b, **_: a / b,
    "Max": lambda a, b, **_: tf.maximum(a, b),
    "Neg": lambda a, **_: -a,
    "Sqrt": lambda a, **_: tf.sqrt(a),
    "Log": lambda a, **_: tf.math.log(a),
    "Exp": lambda a, **_: tf.exp(a),
    "Relu": lambda a, **_: tf.nn.relu(a),
    "Tanh": lambda a, **_: tf.tanh(a),
    "Sigmoid": lambda a, **_: tf.sigmoid(a),
    "Softmax": lambda a, axis, **_: tf.nn.softmax(a, axis=axis),
    "Elu": lambda a, **_: tf.nn.elu(a),
    "Selu": lambda a, **_: tf.nn.selu(a),
    "Softplus": lambda a, **_: tf.nn.softplus(a),
    "Softsign": lambda a, **_: tf.nn.softsign(a),
    "ReduceMean": lambda a, **k: tf.reduce_mean(
        a, axis=_axes(k), keepdims=bool(k["keepdims"])
    ),
    "ReduceSum": lambda a, **k: tf.reduce_sum(
        a, axis=_axes(k), keepdims=bool(k["keepdims"])
    ),
    "ReduceMax": lambda a, **k: tf.reduce_max(
        a, axis=_axes(k), keepdims=bool(k["keepdims"])
    ),
    "ArgMax": lambda a, axis, keepdims, **_: (
        tf.expand_dims(tf.argmax(a, axis=axis), axis)
        if keepdims
        else tf.argmax(a, axis=axis)
    ),
    "Concat": lambda *a, axis, **_: tf.concat(a, axis=axis),
    "Slice": lambda a, starts, ends, axes, **_: _tf_slice(a, starts, ends, axes),
    "Cast": lambda a, to, **_: tf.cast(a, to),
    "Equal": lambda a, b, **_: tf.equal(a, b),
    "Greater": lambda a, b, **_: tf.greater(a, b),
    "And": lambda a, b, **_: tf.logical_and(a, b),
    "Or": lambda a, b, **_: tf.logical_or(a, b),
    "Where": lambda c, a, b, **_: tf.where(c, a, b),
    "Unsqueeze": lambda a, axes, **_: tf.expand_dims(a, axes[0]),
    "Squeeze": lambda a, axes, **_: tf.squeeze(a, axes),
    "GatherElements": lambda a, i, axis, **_: tf.gather(a, i, axis=axis, batch_dims=1),
    "Gather": lambda a, i, **_: tf.gather(a, i),
}


class _Served(tf.Module):
    """A graph as a TensorFlow module with its constants."""

    def __init__(self, g, outputs, n_features, metadata):
        super().__init__()
        self._graph = g
        self._outputs = dict(outputs)
        self._constants = {
            name: tf.constant(value) for name, value in g.constants.items()
        }
        self.metadata = tf.Variable(json.dumps(metadata), trainable=False)
        spec = tf.TensorSpec((None, n_features), tf.float32, name="X")
        # Its Python loop runs at trace time; AutoGraph would only convert it.
        self.serve = tf.function(self._run, input_signature=[spec], autograph=False)

    def _run(self, X):
        values = dict(self._constants, X=X)
        for op_type, inputs, attributes, name in self._graph.nodes:
            values[name] = _TF[op_type](*(values[i] for i in inputs), **attributes)
        return {key: values[value] for key, value in self._outputs.items()}


def save_saved_model(g, outputs, n_features, path, metadata):
    """Save the graph as a SavedModel with a ``serving_default`` signature.

    The folder is written beside ``path`` and moved into place (see
    ``sk_mcdropout._atomic``); ``metadata`` (JSON) is stored in the model as
    the string constant ``metadata`` and in ``assets/sk_mcdropout.json``.
    """
    module = _Served(g, outputs, n_features, metadata)
    with _atomic.replaced_folder(path) as tmp:
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve})
        assets = os.path.join(tmp, "assets")
        os.makedirs(assets, exist_ok=True)
        with open(os.path.join(assets, "sk_mcdropout.json"), "w") as f:
            json.dump(metadata, f, indent=1)
