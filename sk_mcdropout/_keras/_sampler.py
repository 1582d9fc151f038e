"""The Monte Carlo sampler: all stochastic passes over a chunk of rows in one
compiled call, with only the Dropout layers stochastic.

Never ``model(X, training=True)``: that would also put BatchNormalization in
training mode (batch statistics, and its moving averages overwritten). Pass
``k`` uses one mask per Dropout layer, seeded by (seed, layer, k) and shared
by all rows, so each row's result is a deterministic function of the row.
"""

import threading
import weakref

import numpy as np

from .. import _compat
from . import _backend
from ._backend import keras, tf
from ._builders import check_model, dropout_layers, is_graph_model, widest_layer
from ._concrete import ConcreteDropout

# Largest set of n_passes masked copies of one Dense kernel that the sampler
# folds masks into; above it, masks multiply the activations instead.
_FOLD_BYTES = 32 * 2**20
_FOLD_WIDTH = 2**15


class _Expander:
    """Runs a functional graph with only the Dropout layers stochastic.

    A ``ConcreteDropout`` layer is a Dropout layer of its learnt rate followed
    by the Dense layer it wraps, and is run as such.

    Tensors upstream of every Dropout layer keep shape (rows, ...): they are
    computed once per row. The first Dropout layer a tensor meets turns it into
    (rows * n_passes, ...), row-major (the passes of a row are contiguous), by
    multiplying with one mask per pass that is shared by all rows. Any layer
    that mixes expanded and unexpanded inputs gets the unexpanded ones repeated
    to match.

    A Dense layer reading the first mask of a row folds the masks into its
    kernel instead: ``(x * m_k) @ W == x @ (m_k[:, None] * W)``, so one matmul
    of the unexpanded rows against the N masked kernels side by side,
    ``(rows, d) @ (d, N * units)``, replaces repeating, masking and multiplying
    N x rows inputs. That is cheaper than the no-dropout floor, which repeats
    the rows.
    """

    def __init__(self, n_passes, seed, fold=True, rates=None):
        self.n_passes = n_passes
        self.seed = seed
        self.fold = fold
        # id(layer) -> rate, read once outside the traced function: a learnt
        # rate is a variable, and the rates are the sampler's cache key.
        self.rates = rates or {}
        self.expanded = set()
        self.n_dropout = 0
        self._index = {}
        # Dropout outputs whose masks a following Dense can fold into its
        # kernel: id(output) -> (unexpanded input, per-pass keep masks).
        self._foldable = {}
        # Outputs of folded Dense layers whose activation commutes with a
        # following mask: id(output) -> (layer, input, input keep masks).
        self._refoldable = {}

    def run(self, model, inputs):
        if isinstance(model, keras.Sequential):
            model = _compat.functional_of_sequential(model) or model
        if isinstance(model, keras.Sequential):
            x = inputs
            for layer in model.layers:
                x = self.call(layer, (x,), {})
            return x
        return _compat.run_through_graph(model, inputs, self._wrap)

    def _wrap(self, op):
        def call(*args, **kwargs):
            return self.call(op, args, kwargs)

        return call

    def _is_expanded(self, value):
        return any(
            id(t) in self.expanded for t in tf.nest.flatten(value) if tf.is_tensor(t)
        )

    def repeat(self, value):
        """Expand unexpanded tensors in ``value`` to (rows * n_passes, ...)."""

        def repeat(t):
            if not tf.is_tensor(t) or id(t) in self.expanded:
                return t
            return self._mark(tf.repeat(t, self.n_passes, axis=0))

        return tf.nest.map_structure(repeat, value)

    def _mark(self, value):
        for t in tf.nest.flatten(value):
            if tf.is_tensor(t):
                self.expanded.add(id(t))
        return value

    def call(self, op, args, kwargs):
        was_expanded = self._is_expanded((args, kwargs))
        if isinstance(op, keras.layers.Dropout):
            return self._mark(self._dropout(op, args[0], was_expanded))
        if isinstance(op, ConcreteDropout):
            dropped = self._mark(self._dropout(op, args[0], was_expanded))
            return self.call(op.layer, (dropped,), {})
        if isinstance(op, keras.Model) and is_graph_model(op) and dropout_layers(op):
            inputs = args[0] if len(args) == 1 else list(args)
            return self.run(op, inputs)
        if (
            len(args) == 1
            and not kwargs
            and self.fold
            and id(args[0]) in self._foldable
            and _plain_dense(op)
        ):
            return self._mark(self._folded_dense(op, *self._foldable[id(args[0])]))
        if was_expanded:
            args, kwargs = self.repeat((args, kwargs))
        if len(args) == 1 and not kwargs and _softmax_dense(op):
            out = _row_softmax(_linear_dense(op, args[0]))
        elif len(args) == 1 and not kwargs and _softmax_layer(op):
            out = _row_softmax(args[0])
        else:
            if _compat.call_has_training_arg(op):
                kwargs = {**kwargs, "training": False}
            out = op(*args, **kwargs)
        if was_expanded:
            self._mark(out)
        return out

    def _mask(self, layer, x):
        """Per-pass keep masks of shape (n_passes, *per_row), scaled by 1/(1-p)."""
        # One index per Dropout layer instance, in the order the graph meets
        # them, so that a layer's masks do not depend on how rows are chunked.
        index = self._index.setdefault(id(layer), len(self._index))
        self.n_dropout = len(self._index)
        rate = self.rates.get(id(layer))
        if rate is None:
            rate = float(layer.rate)
        # Static when known: tf.shape(x) would make x a dependency, so a
        # refolded Dense's unmasked output would still be computed.
        if None in x.shape[1:]:
            per_row = tf.shape(x)[1:]
        else:
            per_row = tf.constant(list(x.shape[1:]), tf.int32)
        if layer.noise_shape is not None:
            noise = [
                per_row[i] if dim is None else dim
                for i, dim in enumerate(layer.noise_shape[1:])
            ]
            per_row = tf.stack([tf.cast(d, tf.int32) for d in noise])
        mask_shape = tf.concat([[self.n_passes], per_row], 0)
        seed = tf.stack([self.seed, tf.constant(index, tf.int64)])
        uniform = tf.random.stateless_uniform(mask_shape, seed=seed, dtype=x.dtype)
        if rate == 0:
            return tf.ones_like(uniform)
        return tf.cast(uniform >= rate, x.dtype) / (1.0 - rate)

    def _dropout(self, layer, x, was_expanded):
        keep = self._mask(layer, x)
        simple = x.shape.rank == 2 and layer.noise_shape is None
        if simple and id(x) in self._refoldable:
            # relu(z) * m == relu(z * m) for m >= 0: this mask goes into the
            # columns of the Dense layer that produced x, which is recomputed;
            # the unmasked x is then unused and never computed.
            dense, x_in, keep_in = self._refoldable[id(x)]
            return self._folded_dense(dense, x_in, keep_in, keep)
        if was_expanded:
            rows_passes = tf.reshape(
                x, tf.concat([[-1, self.n_passes], tf.shape(x)[1:]], 0)
            )
        else:
            rows_passes = tf.expand_dims(x, 1)
        masked = rows_passes * tf.expand_dims(keep, 0)
        out = tf.reshape(masked, tf.concat([[-1], tf.shape(masked)[2:]], 0))
        if simple and not was_expanded:
            # If only a Dense layer reads `out`, the graph never computes it.
            self._foldable[id(out)] = (x, keep)
        return out

    def _folded_dense(self, layer, x, keep, keep_out=None):
        units = layer.units
        n = self.n_passes
        # (N, d, units) masked kernels, laid side by side as (d, N * units).
        kernels = tf.expand_dims(keep, -1) * layer.kernel
        if keep_out is not None:
            kernels = kernels * tf.expand_dims(keep_out, 1)
        kernels = tf.reshape(tf.transpose(kernels, [1, 0, 2]), [-1, n * units])
        pad = (-n * units) % _BLOCK
        if pad:
            kernels = tf.pad(kernels, [[0, 0], [0, pad]])
        y = tf.matmul(x, kernels)
        if pad:
            y = y[:, : n * units]
        if layer.use_bias:
            bias = layer.bias if keep_out is None else layer.bias * keep_out
            y = y + tf.reshape(tf.broadcast_to(bias, [n, units]), [-1])
        y = tf.reshape(y, [-1, units])
        if layer.activation is keras.activations.softmax:
            y = _row_softmax(y)
        elif layer.activation is not None:
            y = layer.activation(y)
        if keep_out is None and _positively_homogeneous(layer.activation):
            self._refoldable[id(y)] = (layer, x, keep)
        return y


def _row_softmax(z):
    """Softmax over the last axis, each row's bits independent of the others.

    TensorFlow's fused softmax kernel vectorises across rows when the last
    axis is short, so a row's last bits depend on where it sits in a large
    tensor; these elementwise ops and last-axis reductions do not.
    """
    z = z - tf.reduce_max(z, axis=-1, keepdims=True)
    e = tf.exp(z)
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


def _linear_dense(layer, x):
    y = tf.matmul(x, layer.kernel)
    return y + layer.bias if layer.use_bias else y


def _softmax_dense(op):
    return _plain_dense(op) and op.activation is keras.activations.softmax


def _softmax_layer(op):
    if type(op) is keras.layers.Activation:
        return op.activation is keras.activations.softmax
    return type(op) is keras.layers.Softmax and op.axis in (-1, [-1])


def _positively_homogeneous(activation):
    """f(c * z) == c * f(z) for c >= 0, so an output mask commutes with f."""
    return activation in (
        None,
        keras.activations.linear,
        keras.activations.relu,
    )


def _plain_dense(op):
    return (
        type(op) is keras.layers.Dense
        and not getattr(op, "lora_enabled", False)
        and getattr(op, "quantization_mode", None) is None
        and op.compute_dtype == "float32"
        and len(op.kernel.shape) == 2
    )


class MCSampler:
    """Compiled Monte Carlo forward passes of a Keras model.

    Parameters
    ----------
    model : keras.Model
        A Sequential or functional network with Dropout layers.
    n_classes : int
        Number of classes; a single sigmoid output is widened to two columns.
    """

    def __init__(self, model, n_classes):
        _backend.check_backend()
        check_model(model)
        # Held weakly: the sampler is cached for the model's lifetime and
        # must not keep the model (and its traced graphs) alive after it.
        self._model = weakref.ref(model)
        self.n_classes = n_classes
        self.rates = tuple(float(layer.rate) for layer in dropout_layers(model))
        self.widest = widest_layer(model)
        self.largest_kernel = max(
            (
                int(np.prod(layer.kernel.shape))
                for layer in _compat.flatten_layers(model)
                if _plain_dense(layer) and layer.built
            ),
            default=0,
        )
        in_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else (None,)
        self._spec = [
            tf.TensorSpec((None, *in_shape), tf.float32),
            tf.TensorSpec((), tf.int64),
        ]
        self._functions = {}

    def folds(self, n_passes):
        """Whether masks are folded into Dense kernels for ``n_passes`` passes.

        The masked kernels are rebuilt for every chunk of rows, so folding pays
        only while they are small next to the chunk's work: at most
        ``_FOLD_BYTES`` of them, and n_passes x widest layer small enough that
        the default memory budget gives chunks of hundreds of rows. The choice
        depends on the network and n_passes alone, never on the chunk size,
        because folded and unfolded passes differ in the last bits.
        """
        return (
            n_passes * self.largest_kernel * 4 <= _FOLD_BYTES
            and n_passes * self.widest <= _FOLD_WIDTH
        )

    def _function(self, n_passes):
        with _LOCK:
            return self._functions.get(n_passes) or self._new_function(n_passes)

    def _new_function(self, n_passes):
        fold = self.folds(n_passes)

        def passes(x, seed):
            return self._passes(x, n_passes, seed, fold)

        # Every fitted network traces its own function by design; TF would
        # warn about "frequent retracing" of the shared code object.
        fn = _compat.omit_retracing_warning(
            tf.function(passes, input_signature=self._spec)
        )
        self._functions[n_passes] = fn
        return fn

    def _passes(self, x, n_passes, seed, fold):
        model = self._model()
        layers = dropout_layers(model)
        rates = {
            id(layer): rate for layer, rate in zip(layers, self.rates, strict=True)
        }
        expander = _Expander(n_passes, seed, fold, rates)
        out = expander.run(model, x)
        if isinstance(out, (list, tuple, dict)):
            raise ValueError("MC prediction needs a network with a single output.")
        n_dropout = len(layers)
        if expander.n_dropout != n_dropout:
            raise ValueError(
                f"{n_dropout - expander.n_dropout} Dropout layer(s) of the network "
                "sit inside a custom layer, where Monte Carlo prediction cannot "
                "switch them on. Use keras.layers.Dropout directly in a "
                "Sequential or functional model."
            )
        if id(out) not in expander.expanded:
            out = expander.repeat(out)
        n_out = out.shape[-1]
        out = tf.reshape(
            out, [tf.shape(x)[0], n_passes, -1 if n_out is None else n_out]
        )
        out = tf.transpose(out, [1, 0, 2])
        if self.n_classes == 2 and n_out == 1:
            out = tf.concat([1.0 - out, out], axis=-1)
        return tf.cast(out, tf.float32)

    def chunk_rows(self, n_passes, memory_mb):
        """Rows per compiled call so that one call stays within ``memory_mb``."""
        budget = memory_mb * 2**20
        if self.folds(n_passes):
            # The masked kernels: built, transposed, multiplied.
            budget -= 3 * n_passes * self.largest_kernel * 4
        # A pass-expanded activation of the widest layer costs rows * n_passes *
        # widest * 4 bytes; about four of them are alive at once in the graph.
        per_row = n_passes * self.widest * 4 * 4
        rows = int(budget // per_row) // _BLOCK * _BLOCK
        return max(_BLOCK, rows)

    def run(self, X, n_passes, seed, *, mode, memory_mb, verbose=0):
        """Run all passes over X chunk by chunk.

        mode "samples" returns (n_passes, n_rows, n_classes); mode "moments"
        returns (2, n_rows, n_classes): the mean and the std over the passes.
        """
        X = np.asarray(X, dtype=np.float32)
        n_rows = X.shape[0]
        step = self.chunk_rows(n_passes, memory_mb)
        fn = self._function(n_passes)
        seed_t = tf.constant(seed, tf.int64)
        bar = None
        if verbose and n_rows > step:
            bar = keras.utils.Progbar(n_rows, unit_name="row")
        parts = []
        for start in range(0, n_rows, step):
            chunk = X[start : start + step]
            samples = fn(tf.constant(_pad_rows(chunk)), seed_t).numpy()
            samples = samples[:, : len(chunk)]
            parts.append(samples if mode == "samples" else _mean_and_std(samples))
            if bar is not None:
                bar.update(min(start + step, n_rows))
        if not parts:
            return np.zeros((2 if mode == "moments" else n_passes, 0, self.n_classes))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


_BLOCK = 48


def _pad_rows(X):
    pad = (-len(X)) % _BLOCK
    if not pad:
        return X
    return np.concatenate([X, np.zeros((pad, *X.shape[1:]), X.dtype)])


def _mean_and_std(samples):
    """Mean and std over axis 0, summed pass by pass in float64.

    A fixed summation order makes each row's result independent of how many
    rows share the chunk; TensorFlow's reductions vectorise differently with the
    shape and would change the last bits.
    """
    total = np.zeros(samples.shape[1:], dtype=np.float64)
    for s in samples:
        total += s
    mean = total / len(samples)
    total[...] = 0.0
    for s in samples:
        total += np.square(s - mean)
    return np.stack([mean, np.sqrt(total / len(samples))])


# model -> its sampler. The sampler holds the model weakly, so an entry (and
# the traced graphs in it) goes when the model goes.
_SAMPLERS = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def get_sampler(model, n_classes):
    """The compiled sampler of ``model``, traced once and reused.

    Cached beside the model rather than on the estimator, so prediction never
    changes the estimator's state and pickles carry no traced graphs. Safe to
    call from several threads.
    """
    _backend.ensure_runtime()
    rates = tuple(float(layer.rate) for layer in dropout_layers(model))
    with _LOCK:
        sampler = _SAMPLERS.get(model)
        if sampler is None or (sampler.rates, sampler.n_classes) != (rates, n_classes):
            sampler = MCSampler(model, n_classes)
            _SAMPLERS[model] = sampler
    return sampler


def deterministic_proba(model, X, n_classes):
    """The ordinary prediction: every layer, Dropout included, in inference mode."""
    out = deterministic_outputs(model, X)
    if n_classes == 2 and out.shape[-1] == 1:
        out = np.hstack([1.0 - out, out])
    return out / out.sum(axis=1, keepdims=True)


def deterministic_outputs(model, X, batch_size=8192):
    """Raw outputs of one pass with every layer, Dropout included, in inference
    mode; shape (n_rows, n_outputs)."""
    _backend.ensure_runtime()
    X = np.asarray(X, dtype=np.float32)
    parts = [
        np.asarray(model(_pad_rows(X[i : i + batch_size]), training=False))[
            : len(X[i : i + batch_size])
        ]
        for i in range(0, max(len(X), 1), batch_size)
    ]
    out = np.concatenate(parts, axis=0).astype(np.float64)
    return out.reshape(len(X), -1)
