"""Works in the environments users already have: no import side effects,
scikit-learn's parameter handling, thread safety, and no leaked networks."""

import gc
import json
import re
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_param_validation

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

ROOT = Path(__file__).resolve().parents[1]

_IMPORT_SCRIPT = """
import json, os, sys
before = dict(os.environ)
if sys.argv[1] == "library":
    import sk_mcdropout
else:
    import keras, scikeras.wrappers, tensorflow
print("imported", file=sys.stderr, flush=True)
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.set_visible_devices([], "GPU")
changed = sorted(k for k in set(before) | set(os.environ)
                 if before.get(k) != os.environ.get(k))
print(json.dumps(changed))
"""


def _run(code, *args):
    env = {
        k: v
        for k, v in __import__("os").environ.items()
        if not k.startswith(("TF_", "KERAS_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )


def test_import_changes_no_environment_and_starts_no_runtime():
    # TensorFlow's own import writes a few variables (TF2_BEHAVIOR, ...);
    # importing the library must change exactly what importing its
    # dependencies changes, and leave thread pools and devices configurable.
    library = _run(_IMPORT_SCRIPT, "library")
    plain = _run(_IMPORT_SCRIPT, "dependencies")
    assert json.loads(library.stdout) == json.loads(plain.stdout)
    # Quiet import: TensorFlow's notices printed at import are silenced.
    assert library.stderr.startswith("imported\n")


def test_quiet_by_default_and_limit_tf_threads_in_this_process():
    code = """
import numpy as np
import sk_mcdropout
sk_mcdropout.limit_tf_threads(1)
X = np.random.RandomState(0).randn(40, 3)
y = np.arange(40) % 2
# Several architectures and batch sizes: each traces its own compiled loops,
# which must not make TensorFlow warn about retracing.
for i in range(7):
    clf = sk_mcdropout.MCDropoutClassifier(
        hidden_layer_sizes=(4 + i,), epochs=2, batch_size=8 + i, n_samples=3,
        random_state=0).fit(X, y)
    clf.predict_proba(X)
import tensorflow as tf
print(tf.config.threading.get_intra_op_parallelism_threads(),
      tf.config.threading.get_inter_op_parallelism_threads())
"""
    result = _run(code)
    assert result.stdout.split() == ["1", "1"]
    assert result.stderr == ""


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    import sk_mcdropout

    assert sk_mcdropout.__version__ == version("sk-mcdropout")
    # A PEP 440 release or pre-release.
    assert re.fullmatch(
        r"\d+\.\d+\.\d+((a|b|rc)\d+|\.dev\d+)?", sk_mcdropout.__version__
    )


def test_limit_tf_threads_refuses_bad_values():
    from sk_mcdropout import limit_tf_threads

    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="'n_threads' parameter"):
            limit_tf_threads(bad)


# --------------------------------------------------------------------------
# scikit-learn's parameter handling
# --------------------------------------------------------------------------


def test_repr_shows_only_what_differs_from_the_defaults():
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(32,), epochs=15, n_samples=20, random_state=0
    )
    assert repr(clf) == (
        "MCDropoutClassifier(epochs=15, hidden_layer_sizes=(32,), n_samples=20,\n"
        "                    random_state=0)"
    )
    assert repr(MCDropoutRegressor()) == "MCDropoutRegressor()"
    # The HTML table lists every parameter and marks those the user set.
    assert clf._repr_html_().count('class="user-set"') == 4


@pytest.mark.parametrize("Estimator", [MCDropoutClassifier, MCDropoutRegressor])
def test_parameters_are_validated_in_scikit_learns_words(Estimator):
    # Every parameter has a constraint, and a bad type or value raises
    # InvalidParameterError from fit and partial_fit before any training.
    check_param_validation(
        Estimator.__name__, Estimator(hidden_layer_sizes=(4,), epochs=1, n_samples=2)
    )


# --------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------


def test_threaded_grid_search_equals_sequential(grid_search):
    X, y, search, sequential = grid_search
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = search(n_jobs=2).fit(X, y).cv_results_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(threaded[key], sequential[key])


def test_predictions_from_several_threads_are_identical(binary_clf, binary_data):
    X = binary_data[0]
    expected = binary_clf.predict_proba(X)
    results = [None] * 4

    def predict(i):
        results[i] = binary_clf.predict_proba(X)

    threads = [threading.Thread(target=predict, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def test_fitted_networks_are_collected_after_del(binary_data, make_classifier):
    # The sampler cache must not keep a network (and its traced graphs) alive;
    # only the bounded pool of built-in networks does, until it drops them.
    from sk_mcdropout._keras import _pool

    X, y = binary_data
    refs = []
    for seed in range(3):
        clf = make_classifier(epochs=1, random_state=seed).fit(X, y)
        clf.predict_proba(X[:10])
        clf.predict_proba_samples(X[:10])
        refs.append(weakref.ref(clf.model_))
        del clf
    _pool.clear()
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_networks_trained_without_a_twin_are_collected_after_del(
    binary_data, monkeypatch, make_classifier
):
    # Networks too large for the twin cache train their own compiled loop,
    # which is cached per network and must go with it.
    from sk_mcdropout._keras import _pool, _training

    monkeypatch.setattr(_training, "_MAX_TWIN_BYTES", 0)
    monkeypatch.setattr(_pool, "_MAX_BYTES", 0)
    X, y = binary_data
    refs = []
    for seed in range(2):
        clf = make_classifier(epochs=2, random_state=seed).fit(X, y)
        refs.append(weakref.ref(clf.model_))
        del clf
    gc.collect()
    assert [ref() for ref in refs] == [None, None]
