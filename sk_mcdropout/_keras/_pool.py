"""Built-in networks kept per architecture and re-initialised from a seed.

Building and compiling a Keras network, building its optimizer and tracing its
training loop cost tens of milliseconds per fit, more than a few epochs of a
small data set; a grid search pays them in every fold. A fit of a network
the library builds itself therefore leases a network of that architecture
(built, compiled and traced by an earlier fit in this process) and
re-initialises it from the fit's seed: every variable gets the value a network
built under that seed would start with, bit for bit, so the fit trains the
same model as on a new network. The dropout rate is not part of the
architecture: the built-in networks keep it in a variable (``RateDropout``)
that the estimator sets after the lease, so the candidates of a grid search
over ``p`` share one network and its traced loops.

How a seed becomes initial values is learnt from the first network of an
architecture, built under a stream that records the seeds Keras draws (one
per random initializer and per dropout seed generator, in building order).
Each draw is matched to the initializer or seed generator that holds it; all
other variables (biases, optimizer slots, learning rate, counters) start from
values that do not depend on the seed and are put back as they were. The plan
is checked against that first network itself; an architecture whose draws it
cannot account for is not pooled and builds per fit as before.

A leased network is its estimator's ``model_`` for as long as the estimator
lives. When the estimator is collected, the network returns to the pool only
if nothing else holds it (its reference count is what it was when it was
lent), so a network a user kept, a shallow copy or a callback still holds, is
never re-initialised under them; pickles and clones carry copies. The pool is
bounded: a few free networks per architecture, the least recently used
architectures dropped first, and networks returned by collected estimators
wait in a short queue (dropped when it is full) until the next lease.
"""

import collections
import random
import sys
import threading
import weakref

import numpy as np

from .. import _compat
from ._backend import keras, tf
from ._seeding import seeded
from ._training import state_variables, trains_own_loop

_MAX_ARCHITECTURES = 8
_MAX_FREE = 2
_MAX_BYTES = 32 * 2**20

_FREE = collections.OrderedDict()  # key -> [(plan, network), ...]
_LOCK = threading.Lock()
# Networks of collected estimators, appended by finalizers (which may run in
# any thread, during garbage collection, so they take no lock).
_RETURNED = collections.deque(maxlen=16)
_LEASES = weakref.WeakKeyDictionary()  # estimator -> its lease's finalizer
_ASSIGNERS = weakref.WeakKeyDictionary()  # network -> its compiled reset
# Networks built and leases served from kept networks, for tests and
# benchmarks.
counts = collections.Counter()


class _Recorder(random.Random):
    """A random stream that records the integers drawn from it."""

    def __init__(self, seed):
        super().__init__(seed)
        self.draws = []

    def randint(self, a, b):
        value = super().randint(a, b)
        self.draws.append((a, b, value))
        return value


class _Plan:
    """How a network of one architecture gets its initial values from a seed."""

    def __init__(self, bounds, seeded_variables, constants):
        self.bounds = bounds  # the (a, b) of every randint, in order
        # variable index -> (draw index, initializer, or None: a seed generator)
        self.seeded_variables = seeded_variables
        self.constants = constants  # variable index -> initial value

    def draws(self, seed):
        stream = random.Random(seed)
        return [stream.randint(a, b) for a, b in self.bounds]

    def values(self, network, seed):
        """The initial value of every variable that depends on the seed."""
        draws = self.draws(seed)
        variables = state_variables(network)
        out = {}
        for i, (k, initializer) in self.seeded_variables.items():
            variable = variables[i]
            if initializer is None:
                out[i] = np.array([draws[k], 0], dtype=np.dtype(variable.dtype))
            else:
                # The network's own initializer, seeded as a new one would be.
                initializer.seed = draws[k]
                out[i] = initializer(tuple(variable.shape), dtype=variable.dtype)
        return out

    def reset(self, network, seed):
        """Put ``network`` in the state a network built under ``seed`` starts in."""
        assign = _ASSIGNERS.get(network)
        if assign is None:
            assign = _ASSIGNERS[network] = self._assigner(network)
        values = self.values(network, seed)
        assign(*(values[i] for i in sorted(values)))
        network.reset_metrics()
        network.stop_training = False

    def _assigner(self, network):
        # One compiled call instead of an eager assignment per variable (each
        # costs about as much as a small training step). It holds the
        # variables, not the network.
        variables = state_variables(network)
        seeded = [variables[i] for i in sorted(self.seeded_variables)]
        constants = [(variables[i], value) for i, value in self.constants.items()]

        def assign(*values):
            for variable, value in zip(seeded, values, strict=True):
                variable.assign(value)
            for variable, value in constants:
                variable.assign(value)

        specs = [tf.TensorSpec(v.shape, v.dtype) for v in seeded]
        return _compat.omit_retracing_warning(
            tf.function(assign, autograph=False, input_signature=specs)
        )


def _make_plan(network, recorder, seed):
    """Learn how ``network``, just built under ``recorder``, got its values.

    Returns None unless every draw is accounted for and replaying the plan for
    ``seed`` gives the network's values bit for bit.
    """
    state = recorder.getstate()
    bounds = [(a, b) for a, b, _ in recorder.draws]
    replay = random.Random(seed)
    drawn = [replay.randint(a, b) for a, b in bounds]
    if replay.getstate() != state:
        return None  # Keras drew from the stream other than by randint
    if len(set(drawn)) != len(drawn):
        return None  # a draw that cannot be told from another
    position = {value: k for k, value in enumerate(drawn)}
    variables = state_variables(network)
    index = {id(v): i for i, v in enumerate(variables)}
    seeded_variables = {}
    for layer in [network, *_compat.flatten_layers(network)]:
        for name, attribute in list(vars(layer).items()):
            if isinstance(attribute, keras.random.SeedGenerator):
                k = position.get(int(attribute.state.numpy()[0]))
                i = index.get(id(attribute.state))
                if k is None or i is None:
                    return None
                seeded_variables[i] = (k, None)
            elif isinstance(attribute, keras.initializers.Initializer):
                k = position.get(getattr(attribute, "seed", None))
                if k is None:
                    continue  # not a random initializer
                target = name.removesuffix("_initializer")
                variable = getattr(layer, target, None) if target != name else None
                if variable is None or id(variable) not in index:
                    return None
                seeded_variables[index[id(variable)]] = (k, attribute)
    if sorted(k for k, _ in seeded_variables.values()) != list(range(len(drawn))):
        return None
    constants = {
        i: variable.numpy()
        for i, variable in enumerate(variables)
        if i not in seeded_variables
    }
    plan = _Plan(bounds, seeded_variables, constants)
    values = plan.values(network, seed)
    for i, value in values.items():
        if not np.array_equal(np.asarray(value), variables[i].numpy()):
            return None
    return plan


def _references(network):
    """References to ``network`` besides the caller's one name for it.

    Less the one from the Keras ``History`` the last fit set on the network,
    which the next fit replaces with its own.
    """
    # getrefcount's argument, this function's and the caller's names.
    count = sys.getrefcount(network) - 3
    history = getattr(network, "history", None)
    if isinstance(history, keras.callbacks.History) and history.model is network:
        count -= 1
    return count


def _drain():
    """Move networks of collected estimators that nothing else holds to the pool."""
    while _RETURNED:
        try:
            key, plan, network, refs = _RETURNED.popleft()
        except IndexError:
            break
        if _references(network) == refs:
            free = _FREE.setdefault(key, [])
            if len(free) < _MAX_FREE:
                free.append((plan, network))
        del network


def clear():
    """Drop every kept network (they go once nothing else holds them)."""
    with _LOCK:
        _RETURNED.clear()
        _FREE.clear()


def _give_back(key, plan, network, refs):
    _RETURNED.append((key, plan, network, refs))


def lease(key, owner, seed, build):
    """A network for ``owner``'s fit under ``seed``: kept, or built by ``build``.

    Parameters
    ----------
    key : hashable
        Everything the network and its compilation depend on, but the seed.
    owner : object
        The estimator whose ``model_`` the network becomes.
    seed : int
        The fit's seed.
    build : callable
        Builds, compiles and returns a new network (under the seeding lock,
        with Keras' stream set by this function).

    Returns
    -------
    network : keras.Model
        Compiled, its optimizer built, in the state a network built by
        ``build`` under ``seed`` starts in.
    """
    plan = network = None
    with _LOCK:
        previous = _LEASES.pop(owner, None)
        if previous is not None:
            # A refit: the former network stays with whoever holds it.
            previous.detach()
        _drain()
        free = _FREE.get(key)
        if free:
            plan, network = free.pop()
            _FREE.move_to_end(key)
    if network is not None:
        plan.reset(network, seed)
        counts["reused"] += 1
    else:
        counts["built"] += 1
        recorder = _Recorder(seed)
        with seeded(seed, stream=recorder):
            network = build()
        if not network.optimizer.built:
            network.optimizer.build(network.trainable_variables)
        size = sum(v.numpy().nbytes for v in state_variables(network))
        plan = _make_plan(network, recorder, seed) if size <= _MAX_BYTES else None
        if plan is None:
            return network
        trains_own_loop(network)
        with _LOCK:
            _FREE.setdefault(key, [])
            _FREE.move_to_end(key)
            while len(_FREE) > _MAX_ARCHITECTURES:
                _FREE.popitem(last=False)
    # The network's own references to itself: nothing else may hold it when
    # it comes back.
    refs = _references(network)
    finalizer = weakref.finalize(owner, _give_back, key, plan, network, refs)
    finalizer.atexit = False
    with _LOCK:
        _LEASES[owner] = finalizer
    return network
