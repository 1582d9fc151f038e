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
import scipy.sparse

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
    the rows. The folded kernels hold the 0/1 masks and the 1/(1-p) scales
    multiply the product: then every product in the sum is ``x * w`` or
    zero, exactly as in ``(x * b) @ W``, so the flat layout below can compute
    the same bits.

    With ``rows`` (a scalar tensor r) the layout is flat instead: an expanded
    tensor holds the r * n_passes rows of the first r input rows (row-major)
    followed by zero rows up to a multiple of ``_BLOCK``, and a folded Dense
    layer multiplies those masked rows by its kernel. For fewer rows than a
    block that is far less work than the folded layout, which computes a
    whole block of rows. The sampler uses it only where it reproduced the
    folded layout bit for bit (see ``MCSampler.flat_matches``).

    A Dense layer with fewer than ``_NARROW`` units multiplies by its kernel
    padded with zero columns to ``_NARROW``, in both layouts: the matmul
    kernels sum a narrower product in an order that depends on the number of
    rows, so a row's bits would depend on how many rows share its call.
    """

    def __init__(self, n_passes, seed, fold=True, rates=None, rows=None, pad=None):
        self.n_passes = n_passes
        self.seed = seed
        self.fold = fold
        self.rows = rows
        # The flat layout's rows are padded to a multiple of this.
        self.pad = pad or _BLOCK
        # id(layer) -> rate, read once outside the traced function: a learnt
        # rate is a variable, and the rates are the sampler's cache key.
        self.rates = rates or {}
        self.expanded = set()
        self.n_dropout = 0
        self._index = {}
        # Dropout outputs whose masks a following Dense can fold into its
        # kernel: id(output) -> (unexpanded input, per-pass masks).
        self._foldable = {}
        # Outputs of folded Dense layers whose activation commutes with a
        # following mask: id(output) -> (layer, input, input masks).
        self._refoldable = {}
        # id(Dropout layer) -> its scaled keep masks, for pass_masks.
        self.masks = {}

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
            if self.rows is None:
                return self._mark(tf.repeat(t, self.n_passes, axis=0))
            t = tf.repeat(t[: self.rows], self.n_passes, axis=0)
            return self._mark(self._pad_flat(t))

        return tf.nest.map_structure(repeat, value)

    def _pad_flat(self, t):
        """Zero rows after the rows * n_passes rows of a flat tensor."""
        n_pad = (-self.rows * self.n_passes) % self.pad
        paddings = tf.concat([[[0, n_pad]], tf.zeros([tf.rank(t) - 1, 2], tf.int32)], 0)
        return tf.pad(t, paddings)

    def _per_pass(self, t, values, op=tf.multiply):
        """``op(t, values)`` for an expanded ``t`` and (n_passes, ...) values,
        pass k's values applied to pass k of every row."""
        if self.rows is not None:
            multiples = tf.concat(
                [[self.rows], tf.ones([tf.rank(values) - 1], tf.int32)], 0
            )
            return op(t, self._pad_flat(tf.tile(values, multiples)))
        rows_passes = tf.reshape(
            t, tf.concat([[-1, self.n_passes], tf.shape(t)[1:]], 0)
        )
        out = op(rows_passes, tf.expand_dims(values, 0))
        return tf.reshape(out, tf.shape(t))

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
        single = len(args) == 1 and not kwargs
        if single and self.fold and id(args[0]) in self._foldable and _plain_dense(op):
            return self._mark(self._folded_dense(op, *self._foldable[id(args[0])]))
        if was_expanded:
            args, kwargs = self.repeat((args, kwargs))
        out = _apply(op, args, kwargs)
        if was_expanded:
            self._mark(out)
        return out

    def _mask(self, layer, x):
        """Per-pass keep masks of shape (n_passes, *per_row).

        Returns the masks scaled by 1/(1-p), the 0/1 masks and the scale.
        """
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
        mask = keep_masks(mask_shape, self.seed, index, rate, x.dtype)
        self.masks[id(layer)] = mask[0]
        return mask

    def _dropout(self, layer, x, was_expanded):
        mask = self._mask(layer, x)
        simple = x.shape.rank == 2 and layer.noise_shape is None
        if simple and id(x) in self._refoldable:
            # relu(z) * m == relu(z * m) for m >= 0: this mask goes into the
            # columns of the Dense layer that produced x, which is recomputed;
            # the unmasked x is then unused and never computed.
            dense, x_in, mask_in = self._refoldable[id(x)]
            return self._folded_dense(dense, x_in, mask_in, mask)
        if was_expanded:
            out = self._per_pass(x, mask[0])
        elif self.rows is not None:
            out = self._per_pass(self.repeat(x), mask[0])
        else:
            masked = tf.expand_dims(x, 1) * tf.expand_dims(mask[0], 0)
            out = tf.reshape(masked, tf.concat([[-1], tf.shape(masked)[2:]], 0))
        if simple and not was_expanded:
            # If only a Dense layer reads `out`, the graph never computes it.
            self._foldable[id(out)] = (x, mask)
        return out

    def _folded_dense(self, layer, x, mask, mask_out=None):
        """The Dense layer over every pass of the unexpanded ``x``, its inputs
        masked by ``mask`` (and its outputs by ``mask_out``)."""
        units = layer.units
        n = self.n_passes
        _, bits, scale = mask
        # Each pass's columns start at a multiple of _COLUMNS, as in the flat
        # layout's product, so that both sum in the same order.
        cols = -(-units // _COLUMNS) * _COLUMNS
        kernel = layer.kernel
        if cols != units:
            kernel = tf.pad(kernel, [[0, 0], [0, cols - units]])
        if mask_out is not None:
            bits_out = mask_out[1]
            if cols != units:
                bits_out = tf.pad(bits_out, [[0, 0], [0, cols - units]])
            scale *= mask_out[2]
        if self.rows is None:
            # (N, d, cols) masked kernels, laid side by side as (d, N * cols).
            kernels = tf.expand_dims(bits, -1) * kernel
            if mask_out is not None:
                kernels = kernels * tf.expand_dims(bits_out, 1)
            kernels = tf.reshape(tf.transpose(kernels, [1, 0, 2]), [-1, n * cols])
            pad = (-n * cols) % _BLOCK
            if pad:
                kernels = tf.pad(kernels, [[0, 0], [0, pad]])
            y = tf.matmul(x, kernels)
            if pad:
                y = y[:, : n * cols]
            y = tf.reshape(y, [-1, cols])
        else:
            y = tf.matmul(self._per_pass(self.repeat(x), bits), kernel)
            if mask_out is not None:
                y = self._per_pass(y, bits_out)
        if cols != units:
            y = y[:, :units]
        if tf.is_tensor(scale):  # else 1.0: both masks are of rate 0
            y = y * tf.cast(scale, y.dtype)
        if layer.use_bias:
            if mask_out is None:
                y = y + layer.bias
            else:
                y = self._per_pass(y, layer.bias * mask_out[0], tf.add)
        y = _activate(layer, y)
        if mask_out is None and _positively_homogeneous(layer.activation):
            self._refoldable[id(y)] = (layer, x, mask)
        return y


def keep_masks(shape, seed, index, rate, dtype=tf.float32):
    """The keep masks of Dropout layer ``index`` for every pass.

    Pass k of the layer keeps the units whose ``stateless_uniform`` draw,
    seeded by (seed, index), is at least the rate. Returns the masks scaled
    by 1/(1-rate) (how Keras' Dropout scales), the 0/1 masks and the scale
    (a float64 tensor; the float 1.0 for a rate of 0).
    """
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(index, tf.int64)])
    uniform = tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)
    if not tf.is_tensor(rate) and rate == 0:
        ones = tf.ones_like(uniform)
        return ones, ones, 1.0
    # A Python float and the same float as a float64 tensor (an argument of
    # the compiled function) give the same bits: rate and 1 - rate in
    # float64, each rounded once to dtype.
    rate = tf.convert_to_tensor(rate, tf.float64)
    bits = tf.cast(uniform >= tf.cast(rate, dtype), dtype)
    keep = tf.cast(1.0 - rate, dtype)
    return bits / keep, bits, 1.0 / (1.0 - rate)


def _activate(layer, y):
    if layer.activation is keras.activations.softmax:
        return _row_softmax(y)
    if layer.activation is not None:
        return layer.activation(y)
    return y


def _apply(op, args, kwargs):
    """One graph operation in inference mode, softmax with row-wise bits."""
    if len(args) == 1 and not kwargs and _softmax_dense(op):
        return _row_softmax(_linear_dense(op, args[0]))
    if len(args) == 1 and not kwargs and _plain_dense(op) and op.units < _NARROW:
        return _activate(op, _linear_dense(op, args[0]))
    if len(args) == 1 and not kwargs and _softmax_layer(op):
        return _row_softmax(args[0])
    if _compat.call_has_training_arg(op):
        kwargs = {**kwargs, "training": False}
    return op(*args, **kwargs)


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
    units = layer.units
    if units < _NARROW:
        kernel = tf.pad(layer.kernel, [[0, 0], [0, _NARROW - units]])
        y = tf.matmul(x, kernel)[:, :units]
    else:
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
        # The rates are arguments of the compiled passes (a kept network
        # serves many rates; see _pool), except which are 0: those layers
        # draw no mask.
        self.zero_rates = zero_rates(model)
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
            tf.TensorSpec((len(self.zero_rates),), tf.float64),
        ]
        self._functions = {}
        # (n_passes, n_rows) -> whether the flat layout gives the same bits.
        self._flat_checked = {}
        # (n_passes, seed) -> the one-row function, or None; oldest first.
        self._row_functions = {}

    def rates(self):
        """The current rate of every dropout layer, learnt ones included."""
        return tuple(float(layer.rate) for layer in dropout_layers(self._model()))

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

    def _function(self, n_passes, flat=False):
        with _LOCK:
            fn = self._functions.get((n_passes, flat))
            if fn is None:
                fn = self._functions[n_passes, flat] = self._new_function(
                    n_passes, flat
                )
            return fn

    def _new_function(self, n_passes, flat):
        fold = self.folds(n_passes)
        if flat:

            def passes(x, seed, rates, rows):
                return self._passes(x, n_passes, seed, fold, rates, rows)

            spec = [*self._spec, tf.TensorSpec((), tf.int32)]
        else:

            def passes(x, seed, rates):
                return self._passes(x, n_passes, seed, fold, rates)

            spec = self._spec
        return _traced(passes, spec)

    def _passes(self, x, n_passes, seed, fold, rates, rows=None, pad=None):
        """``rates``: a float64 tensor of every dropout layer's rate, or a
        tuple of floats (traced as constants)."""
        model = self._model()
        layers = dropout_layers(model)
        rates = {
            id(layer): 0.0 if zero else rates[i]
            for i, (layer, zero) in enumerate(zip(layers, self.zero_rates, strict=True))
        }
        expander = _Expander(n_passes, seed, fold, rates, rows, pad)
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
        n_rows = tf.shape(x)[0]
        if rows is not None:
            out, n_rows = out[: rows * n_passes], rows
        out = tf.reshape(out, [n_rows, n_passes, -1 if n_out is None else n_out])
        out = tf.transpose(out, [1, 0, 2])
        if self.n_classes == 2 and n_out == 1:
            out = tf.concat([1.0 - out, out], axis=-1)
        return tf.cast(out, tf.float32)

    def _new_row_function(self, n_passes, seed, rates, pad):
        """The flat layout for one row, traced with the seed, the rates and
        every shape fixed: TensorFlow then computes the masks once, as
        constants of the graph, and a call is a few dozen small operations."""
        fold = self.folds(n_passes)

        def passes(x):
            return self._passes(x, n_passes, seed, fold, rates, 1, pad)

        spec = tf.TensorSpec((_BLOCK, *self._spec[0].shape[1:]), tf.float32)
        return _traced(passes, [spec])

    def row_function(self, n_passes, seed):
        """Compiled passes over one row (padded to a block) that give the
        folded layout's bits, or None where no candidate does.

        Candidates are tried cheapest first: the flat rows padded to a
        multiple of 8, then of a block. Each is run against the folded layout
        on a few random rows and kept only if every bit agrees; the result is
        remembered for ``_ROW_FUNCTIONS`` (n_passes, seed, rates).
        """
        rates = self.rates()
        key = (n_passes, seed, rates)
        with _LOCK:
            if key in self._row_functions:
                return self._row_functions[key]
        found = None
        row_shape = self._spec[0].shape[1:]
        if None not in row_shape:
            folded = self._function(n_passes)
            seed_t = tf.constant(seed, tf.int64)
            rates_t = tf.constant(rates, tf.float64)
            rng = np.random.default_rng(0)
            probes = [
                tf.constant(_pad_rows(rng.standard_normal((1, *row_shape), np.float32)))
                for _ in range(_ROW_PROBES)
            ]
            wanted = [folded(p, seed_t, rates_t).numpy()[:, :1] for p in probes]
            for pad in (8, _BLOCK):
                candidate = self._new_row_function(n_passes, seed, rates, pad)
                if all(
                    np.array_equal(candidate(p).numpy(), w)
                    for p, w in zip(probes, wanted, strict=True)
                ):
                    found = candidate
                    break
        with _LOCK:
            if len(self._row_functions) >= _ROW_FUNCTIONS:
                self._row_functions.pop(next(iter(self._row_functions)))
            self._row_functions[key] = found
        return found

    def flat_matches(self, n_passes, seed, n_rows):
        """Whether the flat layout gives the folded layout's bits for n_rows.

        Both sum the same products; whether they sum them in the same order
        is up to the matmul kernels, which choose by shape alone. So both are
        run once on random rows of that shape, and the flat layout is used for
        that many rows only if every bit agrees.
        """
        key = (n_passes, n_rows)
        with _LOCK:
            known = self._flat_checked.get(key)
        if known is not None:
            return known
        if None in self._spec[0].shape[1:]:
            matches = False
        else:
            rng = np.random.default_rng(n_rows)
            probe = rng.standard_normal((n_rows, *self._spec[0].shape[1:]))
            probe = tf.constant(_pad_rows(probe.astype(np.float32)))
            seed_t = tf.constant(seed, tf.int64)
            rates_t = tf.constant(self.rates(), tf.float64)
            folded = self._function(n_passes)(probe, seed_t, rates_t)
            folded = folded.numpy()[:, :n_rows]
            flat = self._function(n_passes, flat=True)(
                probe, seed_t, rates_t, tf.constant(n_rows, tf.int32)
            ).numpy()[:, :n_rows]
            matches = bool(np.array_equal(folded, flat))
        with _LOCK:
            self._flat_checked[key] = matches
        return matches

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
        sparse = scipy.sparse.issparse(X)
        if not sparse:
            X = np.asarray(X, dtype=np.float32)
        n_rows = X.shape[0]
        if n_rows == 1:
            fn = self.row_function(n_passes, seed)
            if fn is not None:
                row = X.toarray().astype(np.float32, copy=False) if sparse else X
                samples = fn(tf.constant(_pad_rows(row))).numpy()
                return samples if mode == "samples" else _mean_and_std(samples)
        step = self.chunk_rows(n_passes, memory_mb)
        seed_t = tf.constant(seed, tf.int64)
        rates_t = tf.constant(self.rates(), tf.float64)
        bar = None
        if verbose and n_rows > step:
            bar = keras.utils.Progbar(n_rows, unit_name="row")
        parts = []
        for start in range(0, n_rows, step):
            chunk = X[start : start + step]
            if sparse:
                # Densified a chunk at a time: a sparse X may be far larger
                # as a dense array than any chunk.
                chunk = chunk.toarray().astype(np.float32, copy=False)
            if len(chunk) < _BLOCK and self.flat_matches(n_passes, seed, len(chunk)):
                # Fewer rows than one block: the flat layout computes only
                # these rows' passes, with the same bits.
                fn = self._function(n_passes, flat=True)
                rows = tf.constant(len(chunk), tf.int32)
                x = tf.constant(_pad_rows(chunk))
                samples = fn(x, seed_t, rates_t, rows).numpy()[:, : len(chunk)]
            else:
                fn = self._function(n_passes)
                x = tf.constant(_pad_rows(chunk))
                samples = fn(x, seed_t, rates_t).numpy()[:, : len(chunk)]
            parts.append(samples if mode == "samples" else _mean_and_std(samples))
            if bar is not None:
                bar.update(min(start + step, n_rows))
        if not parts:
            return np.zeros((2 if mode == "moments" else n_passes, 0, self.n_classes))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


_BLOCK = 48
# Random rows on which a one-row function must give the folded layout's bits,
# and how many one-row functions a sampler keeps.
_ROW_PROBES = 4
_ROW_FUNCTIONS = 4
# Columns of one pass in a folded kernel are padded to a multiple of this.
_COLUMNS = 16
# Dense layers of fewer units multiply by their kernel padded to this many
# columns (see _Expander).
_NARROW = 16
# Passes x rows x outputs up to which the moments are summed in one NumPy
# call instead of pass by pass (the same order, hence the same bits).
_SMALL_MOMENTS = 2**16


def _traced(passes, spec):
    """``passes`` traced once for ``spec``, as a concrete function.

    Every fitted network traces its own function by design; TF would warn
    about "frequent retracing" of the shared code object. The concrete
    function is called directly: a one-row call then skips matching its
    arguments against the signature.

    Without AutoGraph: every branch of the sampler is on Python values known
    at trace time, and AutoGraph's conversion of its source cost about 0.6 s
    the first time a process traced a sampler (several times the trace).
    Keras traces its own train and predict steps without AutoGraph too.
    """
    function = tf.function(passes, input_signature=spec, autograph=False)
    return _compat.omit_retracing_warning(function).get_concrete_function()


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
    if samples.size <= _SMALL_MOMENTS:
        # add.accumulate sums in index order, as the loop below does (add.reduce
        # may sum pairwise).
        s = samples.astype(np.float64)
        mean = np.add.accumulate(s, axis=0)[-1] / len(s)
        s -= mean
        np.square(s, out=s)
        return np.stack([mean, np.sqrt(np.add.accumulate(s, axis=0)[-1] / len(s))])
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


def zero_rates(model):
    """Which dropout layers of ``model`` have a rate of 0.

    A learnt rate, a sigmoid, never is: it is not read here (reading its
    variable costs tens of microseconds; ``MCSampler.run`` reads it once).
    """
    return tuple(
        not isinstance(layer, ConcreteDropout) and float(layer.rate) == 0.0
        for layer in dropout_layers(model)
    )


def get_sampler(model, n_classes):
    """The compiled sampler of ``model``, traced once and reused.

    Cached beside the model rather than on the estimator, so prediction never
    changes the estimator's state and pickles carry no traced graphs. Safe to
    call from several threads.
    """
    _backend.ensure_runtime()
    zeros = zero_rates(model)
    with _LOCK:
        sampler = _SAMPLERS.get(model)
        if sampler is None or (sampler.zero_rates, sampler.n_classes) != (
            zeros,
            n_classes,
        ):
            sampler = MCSampler(model, n_classes)
            _SAMPLERS[model] = sampler
    return sampler


def pass_masks(model, n_passes, seed):
    """The masks of the fitted ensemble: what pass k multiplies each Dropout
    layer's inputs by.

    Returns a dict from each dropout layer (``Dropout`` or ``ConcreteDropout``)
    to its keep masks scaled by 1/(1-p), an array of shape
    (n_passes, *per_row): exactly the masks the sampler applies.
    """
    _backend.ensure_runtime()
    layers = dropout_layers(model)
    rates = {id(layer): float(layer.rate) for layer in layers}
    in_shape = tuple(model.inputs[0].shape[1:])
    expander = _Expander(n_passes, tf.constant(seed, tf.int64), False, rates)
    expander.run(model, tf.zeros((1, *in_shape), tf.float32))
    return {layer: expander.masks[id(layer)].numpy() for layer in layers}


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
    if scipy.sparse.issparse(X):
        # Densified a batch at a time, as the sampler densifies its chunks.
        batches = (X[i : i + batch_size] for i in range(0, X.shape[0], batch_size))
        return np.concatenate(
            [
                deterministic_outputs(model, batch.toarray(), batch_size)
                for batch in batches
            ]
        )
    X = np.asarray(X, dtype=np.float32)
    parts = [
        np.asarray(model(_pad_rows(X[i : i + batch_size]), training=False))[
            : len(X[i : i + batch_size])
        ]
        for i in range(0, max(len(X), 1), batch_size)
    ]
    out = np.concatenate(parts, axis=0).astype(np.float64)
    return out.reshape(len(X), -1)
