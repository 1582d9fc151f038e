"""sphinx-gallery hooks: the examples share one process while the docs build.

Every example starts as a fresh script would: no Keras graph, layer names or
seeds left over from the example before it, and the global random state of
Python, NumPy and TensorFlow reset.
"""

import random
from pathlib import Path

import numpy as np

# The gallery's sections, in reading order; a folder not listed comes last,
# in alphabetical order.
SECTIONS = [
    "getting_started",
    "rejection",
    "regression",
    "networks",
    "deploying",
    "applications",
]


def reset_keras(gallery_conf, fname):
    """Clear Keras' session and reset the global seeds before an example."""
    import keras
    import tensorflow as tf

    keras.backend.clear_session(free_memory=True)
    random.seed(0)
    # The legacy global state is what a script that calls np.random.* uses.
    np.random.seed(0)  # noqa: NPY002
    tf.random.set_seed(0)


def subsection_order(path):
    """Sort key of a gallery folder: the position of its name in SECTIONS."""
    name = Path(path).name
    return (SECTIONS.index(name) if name in SECTIONS else len(SECTIONS), name)
