"""Training at the speed of the arithmetic: whole epochs in one compiled call.

``keras.Model.fit`` pays about 2 ms of framework work per batch (the
``tf.data`` iterator, one compiled call per step, callback bookkeeping), while
the arithmetic of a batch of a small tabular network takes tens of
microseconds. ``fit`` here runs a whole epoch as one compiled ``tf.while_loop``
over the batches: each step gathers its rows from tensors that stay on the
device and calls the model's own ``train_step``, so the loss (compiled loss,
sample weights, regularisation), the metrics, the optimizer (any Keras
optimizer, whose state stays on the model for warm starts), BatchNormalization
updates and training dropout are exactly Keras'.

Tracing that loop costs more than many epochs of small data. The built-in
networks are kept per architecture and re-initialised for each fit (see
``_pool``), so they trace their own loops once. Any other network is new in
every fit (every fold and candidate of a grid search), so its loop
is traced once per architecture (layers and their configuration, loss,
metrics, optimizer) and kept with a twin network of that architecture: a fit
copies its network's state (weights, dropout seed states, optimizer state)
into a free twin, trains the twin, and copies the state back (after every
epoch when callbacks may look at the network). The fitted network is the same,
bit for bit, as training its own loop. Networks that Keras cannot rebuild from
their configuration, and subclassed models, train their own loop.

The row order of each epoch is a permutation drawn in NumPy from an explicit
seed, so a fit depends on that seed and the layers' own seeds only, never on
TensorFlow's global seed: unlike ``Model.fit``, the loop needs no process-wide
seeding lock, and fits in several threads run in parallel.

Epoch-level callbacks (``EarlyStopping``, ``ModelCheckpoint`` saving per epoch,
``LearningRateScheduler``, ``ReduceLROnPlateau``, a custom ``on_epoch_end``)
run as under ``Model.fit``, with the same logs. What needs Keras' own loop gets
it (see ``fallback_reason``): a callback with per-batch or per-evaluation
hooks, ``verbose`` progress bars, ``run_eagerly``, ``jit_compile``,
``steps_per_execution`` > 1, a distribution strategy, inputs that are not one
array, and the ``Model.fit`` arguments this loop does not implement.
"""

import collections
import contextlib
import json
import math
import threading
import weakref

import numpy as np

from .. import _compat
from . import _backend
from ._backend import keras, tf
from ._seeding import seeded

# Callback hooks that only Keras' own loop calls at the right moments.
_LOOP_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
)
# Model.fit arguments the fast loop implements, with the values it accepts
# for those it implements only at their defaults.
_HANDLED = {
    "batch_size",
    "epochs",
    "verbose",
    "callbacks",
    "validation_split",
    "validation_data",
    "shuffle",
    "sample_weight",
    "initial_epoch",
    "validation_batch_size",
}
_DEFAULT_ONLY = {
    "class_weight": None,
    "steps_per_epoch": None,
    "validation_steps": None,
    "validation_freq": 1,
}


def _overrides(callback, hook):
    return getattr(type(callback), hook) is not getattr(keras.callbacks.Callback, hook)


def _epoch_level(callback):
    if isinstance(callback, keras.callbacks.ModelCheckpoint):
        # Its batch hook only acts when it saves every few batches.
        return callback.save_freq == "epoch"
    if isinstance(callback, keras.callbacks.History):
        return True
    return not any(_overrides(callback, hook) for hook in _LOOP_HOOKS)


def _is_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind in "biuf"


def fallback_reason(model, x, y, fit_args):
    """Why this fit needs ``Model.fit``'s own loop, or None if the fast loop fits.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x, y : ndarray
        Training data.
    fit_args : dict
        The other ``Model.fit`` arguments.

    Returns
    -------
    reason : str or None
    """
    unknown = set(fit_args) - _HANDLED - set(_DEFAULT_ONLY)
    if unknown:
        return f"Model.fit arguments {sorted(unknown)}"
    for name, default in _DEFAULT_ONLY.items():
        if fit_args.get(name, default) != default:
            return f"{name}={fit_args[name]!r}"
    if fit_args.get("verbose", 0):
        return "verbose progress"
    if fit_args.get("shuffle", True) not in (True, False):
        return f"shuffle={fit_args['shuffle']!r}"
    if not (_is_array(x) and x.ndim >= 2 and _is_array(y) and len(y) == len(x)):
        return "inputs other than one array"
    validation_data = fit_args.get("validation_data")
    if validation_data is not None and not (
        isinstance(validation_data, (tuple, list))
        and len(validation_data) in (2, 3)
        and all(a is None or _is_array(a) for a in validation_data)
    ):
        return "validation_data other than a tuple of arrays"
    split = fit_args.get("validation_split") or 0.0
    if split and validation_data is None:
        split_at = math.floor(len(x) * (1.0 - split))
        if split_at in (0, len(x)):
            return "a validation_split leaving no rows"  # Keras says why
    if model.run_eagerly:
        return "run_eagerly"
    if model.jit_compile:
        return "jit_compile"
    if getattr(model, "steps_per_execution", 1) != 1:
        return "steps_per_execution"
    if tf.distribute.has_strategy():
        return "a distribution strategy"
    if not model.compiled or model.optimizer is None or model.loss is None:
        return "a model without optimizer or loss"
    for callback in fit_args.get("callbacks") or ():
        if not _epoch_level(callback):
            return f"the per-batch callback {type(callback).__name__}"
    return None


def fit(model, x, y, seed, **fit_args):
    """Train ``model`` like ``model.fit(x, y, **fit_args)``, fast where possible.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    x, y : ndarray
        Training data, already encoded.
    seed : int
        Seed of the row order of every epoch.
    **fit_args
        ``Model.fit`` arguments.

    Returns
    -------
    history : keras.callbacks.History
        Per-epoch logs, as ``Model.fit`` returns them.
    """
    if fallback_reason(model, x, y, fit_args) is not None:
        # Model.fit shuffles with ops seeded from TensorFlow's global seed.
        with seeded(seed):
            return model.fit(x=x, y=y, **fit_args)
    _backend.ensure_runtime()
    return _fit_fast(model, x, y, seed, **fit_args)


def _as_tensors(*arrays):
    out = []
    for a in arrays:
        if a is None:
            continue
        if a.dtype.kind == "f":
            a = a.astype(np.float32, copy=False)
        out.append(tf.constant(a))
    return tuple(out)


def _build(model, batch):
    """Create the optimizer, loss and metric state outside the compiled loop.

    Keras creates these lazily on the first step; variables cannot be created
    inside a ``tf.while_loop``. An inference pass on a few rows builds them
    without training, drawing no dropout mask and touching no moving average.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    x, y = batch[0], batch[1]
    sample_weight = batch[2] if len(batch) > 2 else None
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
    model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
    model.reset_metrics()


# Compiled loops per model, reused by later fits of the same network
# (warm_start, partial_fit): tracing costs far more than a small epoch.
_LOOPS = weakref.WeakKeyDictionary()
_LOOPS_LOCK = threading.Lock()


def _loop(model, kind, data, batch_size):
    """A compiled function ``run(order, *data)`` that runs the model's
    ``train_step`` (or ``test_step``) on every batch of ``data`` taken in
    ``order``; traced once per model, kind, batch size and data layout."""
    specs = tuple(tf.TensorSpec([None, *t.shape[1:]], t.dtype) for t in data)
    key = (kind, batch_size, specs, id(model.optimizer), id(model.loss))
    with _LOOPS_LOCK:
        run = _LOOPS.setdefault(model, {}).get(key)
    if run is not None:
        return run
    # The loop is cached for the model's lifetime, so it must hold the model
    # weakly: a bound train_step would keep the model (and the entry) alive.
    model_ref = weakref.ref(model)
    step_name = "train_step" if kind == "train" else "test_step"

    def run(order, *data):
        step = getattr(model_ref(), step_name)
        n_rows = tf.shape(order)[0]
        n_steps = (n_rows + batch_size - 1) // batch_size

        def body(i):
            start = i * batch_size
            rows = order[start : tf.minimum(start + batch_size, n_rows)]
            step(tuple(tf.gather(t, rows) for t in data))
            return (i + 1,)

        tf.while_loop(
            lambda i: i < n_steps, body, (tf.constant(0),), parallel_iterations=1
        )

    # AutoGraph off: it would rewrite Keras' own code on every trace. Every
    # network and batch size traces its own loop by design; TF would warn
    # about "frequent retracing" of the shared code object.
    run = _compat.omit_retracing_warning(
        tf.function(
            run,
            autograph=False,
            input_signature=(tf.TensorSpec([None], tf.int32), *specs),
        )
    )
    with _LOOPS_LOCK:
        _LOOPS[model][key] = run
    return run


# Twins: per architecture, networks whose compiled loops are kept, so that
# the next fit of the same architecture (a new network in every fold of a
# grid search) skips tracing, which costs more than many epochs of small data.
_TWINS = collections.OrderedDict()  # key -> list of free twins
_TWINS_LOCK = threading.Lock()
# The cache outlives the estimators that filled it (by design: the next fit
# reuses it), so it is bounded: at most 8 architectures, the least recently
# used dropped first, and only networks whose state (weights and optimizer
# slots) is at most 32 MiB; past that size tracing is small next to training.
_MAX_ARCHITECTURES = 8
_MAX_TWIN_BYTES = 32 * 2**20


def state_variables(model):
    """Every variable a fit changes or starts from: weights, seed states,
    optimizer state."""
    return [
        *model.trainable_variables,
        *model.non_trainable_variables,
        *model.optimizer.variables,
    ]


def initial_state(model):
    """The values every variable of a compiled, untrained ``model`` starts
    from, for ``restore_initial_state`` to train it again from the start."""
    if not model.optimizer.built:
        # Built now rather than by the first step, so that its slots are in
        # the state; they start at the same values either way.
        model.optimizer.build(model.trainable_variables)
    return [variable.numpy() for variable in state_variables(model)]


def restore_initial_state(model, values):
    """Put ``model`` back in the state ``initial_state`` recorded: the network
    then trains exactly as it did from there."""
    for variable, value in zip(state_variables(model), values, strict=True):
        variable.assign(value)
    model.reset_metrics()
    model.stop_training = False


def _copy_state(source, target):
    for a, b in zip(state_variables(source), state_variables(target), strict=True):
        b.assign(a)


def _architecture(model):
    """A key equal for networks that train identically from equal state, or None.

    Covers the layers and their configuration (names included), the loss,
    metrics and optimizer; not the weights and seed states, which are copied.
    """
    if type(model) not in (keras.Sequential, _compat.functional_class()):
        return None  # a subclass may override train_step or call
    try:
        optimizer = dict(model.optimizer.get_config())
        compile_config = dict(model.get_compile_config() or {})
        compile_config.pop("optimizer", None)
        # Optimizer names are numbered per process ("adam_3") and change
        # nothing.
        optimizer.pop("name", None)
        return (
            type(model).__name__,
            json.dumps(model.get_config(), sort_keys=True, default=repr),
            json.dumps(compile_config, sort_keys=True, default=repr),
            type(model.optimizer).__qualname__,
            json.dumps(optimizer, sort_keys=True, default=repr),
        )
    except Exception:  # noqa: BLE001 (anything not serialisable is not cached)
        return None


def _make_twin(model):
    # Building draws layer seeds: under the seeding lock and a private
    # stream, so Python's global random state is untouched. The seeds do not
    # matter: the model's seed states are copied in.
    with seeded(0):
        twin = keras.models.model_from_json(model.to_json())
        twin.compile_from_config(model.get_compile_config())
    twin.optimizer.build(twin.trainable_variables)
    shapes = [(tuple(v.shape), v.dtype) for v in state_variables(model)]
    if shapes != [(tuple(v.shape), v.dtype) for v in state_variables(twin)]:
        return None
    return twin


# Networks kept for many fits (see ``_pool``): they trace their own loops
# once and need no twin.
_OWN_LOOPS = weakref.WeakSet()


def trains_own_loop(model):
    """Let ``model``, kept for many fits, train its own loops, without a twin."""
    _OWN_LOOPS.add(model)


@contextlib.contextmanager
def _twin(model):
    """A twin of ``model`` with traced loops, held for this fit, or None."""
    if model in _OWN_LOOPS:
        yield None
        return
    key = _architecture(model)
    size = sum(
        math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in state_variables(model)
    )
    if key is None or size > _MAX_TWIN_BYTES:
        yield None
        return
    with _TWINS_LOCK:
        free = _TWINS.setdefault(key, [])
        _TWINS.move_to_end(key)
        twin = free.pop() if free else None
    if twin is None:
        try:
            twin = _make_twin(model)
        except Exception:  # noqa: BLE001 (a network Keras cannot rebuild)
            twin = None
    try:
        yield twin
    finally:
        if twin is not None:
            with _TWINS_LOCK:
                _TWINS.setdefault(key, []).append(twin)
                _TWINS.move_to_end(key)
                while len(_TWINS) > _MAX_ARCHITECTURES:
                    _TWINS.popitem(last=False)


def _logs(model):
    logs = {}
    for name, value in model.get_metrics_result().items():
        value = np.asarray(value)
        logs[name] = float(value) if value.ndim == 0 else value
    return logs


def _fit_fast(
    model,
    x,
    y,
    seed,
    *,
    batch_size=None,
    epochs=1,
    verbose=0,
    callbacks=None,
    validation_split=0.0,
    validation_data=None,
    shuffle=True,
    sample_weight=None,
    initial_epoch=0,
    validation_batch_size=None,
    **defaults,
):
    batch_size = int(batch_size or 32)
    if validation_split and validation_data is None:
        # Keras' rule: the last rows, before any shuffling.
        split_at = math.floor(len(x) * (1.0 - validation_split))
        validation_data = (
            x[split_at:],
            y[split_at:],
            None if sample_weight is None else sample_weight[split_at:],
        )
        x, y = x[:split_at], y[:split_at]
        sample_weight = None if sample_weight is None else sample_weight[:split_at]

    n_rows = len(x)
    data = _as_tensors(x, y, sample_weight)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    with _twin(model) as twin:
        # `net` runs the compiled loops: the model itself, or a twin of the
        # same architecture whose loops an earlier fit already traced. A twin
        # takes the model's state (weights, dropout seed states, optimizer
        # state) before training and gives it back after each epoch, before
        # the callbacks see the model.
        net = model if twin is None else twin
        with _LOOPS_LOCK:
            traced = bool(_LOOPS.get(net))
        if not traced:  # a traced loop's state exists already
            _build(net, tuple(t[:2] for t in data))
        train_epoch = _loop(net, "train", data, batch_size)
        if validation_data is not None:
            val = _as_tensors(*validation_data)
            val_batch_size = int(validation_batch_size or batch_size)
            evaluate = _loop(net, "test", val, val_batch_size)
            val_order = tf.range(int(val[0].shape[0]))
        # Callbacks that may read or change the model between epochs.
        watchers = [
            c
            for c in callbacks or ()
            if not (isinstance(c, StoppingRule) and c.score is None)
        ]

        history = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList(
            [*(callbacks or ()), history],
            model=model,
            epochs=epochs,
            steps=-(-n_rows // batch_size),
            verbose=0,
        )
        rng = np.random.default_rng(seed)
        in_order = tf.range(n_rows)
        model.stop_training = False
        callback_list.on_train_begin()
        logs = None
        # With callbacks that read or change the model between epochs, the
        # twin and the model swap state around every epoch; otherwise once.
        sync = twin is not None and bool(watchers)
        if twin is not None and not sync:
            _copy_state(model, twin)
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            if sync:
                _copy_state(model, twin)
            net.reset_metrics()
            order = (
                tf.constant(rng.permutation(n_rows).astype(np.int32))
                if shuffle
                else in_order
            )
            train_epoch(order, *data)
            logs = _logs(net)
            if validation_data is not None:
                net.reset_metrics()
                evaluate(val_order, *val)
                logs.update({f"val_{k}": v for k, v in _logs(net).items()})
            if sync:
                _copy_state(twin, model)
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        if twin is not None and not sync:
            _copy_state(twin, model)
    if epochs > initial_epoch:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=logs)
    return history


class StoppingRule(keras.callbacks.Callback):
    """MLPClassifier's stopping rules, as an epoch-level callback.

    Without ``score``, training stops once the training loss has not improved
    by at least ``tol`` for more than ``n_iter_no_change`` consecutive epochs.
    With ``score`` (a callable returning the current network's validation
    score, higher is better), it stops once that score has not improved by at
    least ``tol`` for more than ``n_iter_no_change`` epochs, and the weights of
    the best-scoring epoch are restored at the end.

    Parameters
    ----------
    tol : float
        Smallest improvement that counts.
    n_iter_no_change : int
        Epochs without improvement tolerated.
    score : callable or None, default=None
        Validation score of the current network.
    """

    def __init__(self, tol, n_iter_no_change, score=None):
        super().__init__()
        self.tol = float(tol)
        self.n_iter_no_change = n_iter_no_change  # an int, or np.inf
        self.score = score
        self.validation_scores = None

    def on_train_begin(self, logs=None):
        self._best = -np.inf
        self._no_improvement = 0
        self._best_weights = None
        self.validation_scores = None if self.score is None else []

    def on_epoch_end(self, epoch, logs=None):
        if self.score is None:
            # Scores are negated losses, so both rules read the same.
            current = -float((logs or {}).get("loss", np.nan))
        else:
            current = float(self.score())
            self.validation_scores.append(current)
        if current < self._best + self.tol:
            self._no_improvement += 1
        else:
            self._no_improvement = 0
        if current > self._best:
            self._best = current
            if self.score is not None:
                self._best_weights = self.model.get_weights()
        if self._no_improvement > self.n_iter_no_change:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)
