"""Reproducible, thread-safe seeding of network building and training."""

import contextlib
import random
import threading

from .. import _compat
from . import _backend

# Keras draws layer seeds from a module-level `random` and Model.fit shuffles
# with TensorFlow ops seeded from the process-wide global seed: neither can be
# given per thread. Seeded blocks (building a network; Keras' own training
# loop where the library falls back to it) therefore run one at a time. The
# library's training loop and prediction do not take this lock: they draw
# from explicit seeds only.
_FIT_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(seed, stream=None):
    """Seed Keras and TensorFlow inside the block, one thread at a time.

    Inside the block Keras draws layer and initialiser seeds from a private
    ``random.Random(seed)``, never from Python's global stream (which other
    threads, such as a Dask worker's event loop, draw from at any time), and
    TensorFlow's global seed, which seeds ``Model.fit``'s shuffling, is
    ``seed``. Both are put back on exit. Python's and NumPy's global streams are
    never touched, and TensorFlow op determinism is never switched on (scikeras
    does, and never switches it off).

    The block holds a process-wide lock, so fits from several threads give
    exactly what they give one after another. ``stream``, a
    ``random.Random(seed)`` (or a subclass that records what is drawn), replaces
    the private stream Keras draws from.
    """
    _backend.ensure_runtime()
    with _FIT_LOCK:
        saved_keras = _compat.keras_seed_state()
        saved_tf = _compat.tf_global_seed()
        try:
            _compat.set_keras_seed_state((stream or random.Random(seed), None))
            _compat.set_tf_global_seed((seed, random.Random(seed)))
            yield
        finally:
            _compat.set_tf_global_seed(saved_tf)
            _compat.set_keras_seed_state(saved_keras)
