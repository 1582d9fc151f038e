"""Keras and TensorFlow, imported quietly and without side effects.

Importing this module imports Keras and TensorFlow (scikeras does anyway) but
neither starts TensorFlow's runtime nor changes ``os.environ``: after
``import sk_mcdropout`` a user can still set thread pools, visible devices and
GPU memory growth. The runtime starts at the library's first TensorFlow work
(``ensure_runtime``, called by fit and predict).
"""

import contextlib
import numbers
import os
import sys
import threading
import warnings

from .. import _compat


@contextlib.contextmanager
def _stderr_silenced():
    """Send the C-level stderr to /dev/null inside the block.

    TensorFlow prints its oneDNN, CPU-feature and CUDA notices straight to file
    descriptor 2, before its logging is configured, when it is imported and
    when its runtime starts; ``TF_CPP_MIN_LOG_LEVEL`` set later does not catch
    them, and setting it would change the user's environment.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, fd)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _import_backend():
    # A user who imported TensorFlow before us, or set TF_CPP_MIN_LOG_LEVEL,
    # sees exactly what they would have seen anyway.
    quiet = "tensorflow" not in sys.modules and "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    with _stderr_silenced() if quiet else contextlib.nullcontext():
        import keras
        import tensorflow as tf
    return keras, tf, quiet


keras, tf, _QUIET = _import_backend()
_RUNTIME_LOCK = threading.Lock()
_runtime_ready = False


def ensure_runtime():
    """Start TensorFlow's runtime, quietly if the library imported TensorFlow.

    Called before the library's first TensorFlow work, not at import.
    """
    global _runtime_ready
    if _runtime_ready:
        return
    with _RUNTIME_LOCK:
        if _runtime_ready:
            return
        with _quiet_if_first():
            # Device discovery prints the CUDA notices.
            tf.config.list_logical_devices()
        _runtime_ready = True


def _quiet_if_first():
    """Silence TensorFlow's start-up notices if the library imported it and its
    runtime has not started yet (device discovery prints them)."""
    if _QUIET and not _compat.runtime_started():
        return _stderr_silenced()
    return contextlib.nullcontext()


def check_backend():
    """Raise if Keras does not run on TensorFlow, which the sampler needs."""
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "sk_mcdropout needs the TensorFlow Keras backend, but KERAS_BACKEND is "
            f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow."
        )


def limit_tf_threads(n_threads=1):
    """Cap TensorFlow's thread pools, in this process and in workers started later.

    Several worker processes on one machine (joblib's loky backend, a Dask
    ``LocalCluster``) each size TensorFlow's intra-op and inter-op pools to all
    the cores by default, so the workers oversubscribe the machine. This sets
    both pools of the calling process to ``n_threads`` and sets
    ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` in ``os.environ``,
    which processes started afterwards inherit and read when their TensorFlow
    starts.

    The calling process's pools can only be set before its TensorFlow runtime
    starts (before the first fit or prediction, or any TensorFlow op of your
    own); importing ``sk_mcdropout`` does not start it. Afterwards a
    ``RuntimeWarning`` says that only the environment was set.

    Parameters
    ----------
    n_threads : int, default=1
        Threads per pool: the cores divided by the workers.

    Returns
    -------
    env : dict of str to str
        The variables set, also usable as ``LocalCluster(env=env)``, with
        ``distributed.diagnostics.plugin.Environ(env)`` on a running cluster,
        or in the environment of ``dask worker`` processes.

    Examples
    --------
    Two workers on a 4-core machine:

    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from sk_mcdropout import limit_tf_threads  # doctest: +SKIP
    >>> env = limit_tf_threads(2)  # doctest: +SKIP
    >>> env  # doctest: +SKIP
    {'TF_NUM_INTRAOP_THREADS': '2', 'TF_NUM_INTEROP_THREADS': '2'}
    >>> cluster = LocalCluster(
    ...     n_workers=2, threads_per_worker=1, env=env
    ... )  # doctest: +SKIP
    >>> client = Client(cluster)  # doctest: +SKIP
    """
    if (
        isinstance(n_threads, bool)
        or not isinstance(n_threads, numbers.Integral)
        or n_threads < 1
    ):
        raise ValueError(
            f"The 'n_threads' parameter of limit_tf_threads must be an int in the "
            f"range [1, inf). Got {n_threads!r} instead."
        )
    env = {
        "TF_NUM_INTRAOP_THREADS": str(n_threads),
        "TF_NUM_INTEROP_THREADS": str(n_threads),
    }
    os.environ.update(env)
    threading_config = tf.config.threading
    with _quiet_if_first():
        current = (
            threading_config.get_intra_op_parallelism_threads(),
            threading_config.get_inter_op_parallelism_threads(),
        )
    if current == (n_threads, n_threads):
        return env
    if _compat.runtime_started():
        warnings.warn(
            "TensorFlow's runtime has already started in this process, so its "
            f"thread pools stay as they are {current}; only the environment of "
            "processes started from now on was set. Call limit_tf_threads "
            "before the first fit or prediction to limit this process too.",
            RuntimeWarning,
            stacklevel=2,
        )
        return env
    with _quiet_if_first():
        threading_config.set_intra_op_parallelism_threads(n_threads)
        threading_config.set_inter_op_parallelism_threads(n_threads)
    return env


def backend_versions():
    """Versions of Keras and TensorFlow, which change training numerically."""
    return keras.__version__, tf.__version__
