"""One-row scoring: in process before and after the one-row path, exported.

Run: ``python benchmarks/bench_serving.py [--calls 300] [--before COMMIT]``

One process, one fitted MCDropoutClassifier (30 features -> Dense 128 relu ->
Dropout -> Dense 128 relu -> Dropout -> softmax, N = 100 passes), and the
latency of scoring one row (and 1,000 rows for onnxruntime), median and 99th
percentile over ``--calls`` calls taken in turns so that machine noise hits
all alike:

- ``predict_proba`` now;
- ``predict_proba`` with the sampler of ``--before`` (read from git; it
  drew the masks on every call, in a graph of dynamic shapes) and without the
  short way through validation for plain float arrays;
- the exported ONNX model in onnxruntime (one row, 1,000 rows);
- the SavedModel's ``serving_default`` signature;
- the same network's compiled Keras call (``predict_on_batch``);
- ``MLPClassifier.predict_proba`` with the same hidden layers.

Also prints the largest difference between the two samplers' predictions
(output layers of fewer than 16 units now multiply by their kernel widened
with zero columns, which moves the last bits) and the size and operations of
the ONNX file.
onnxruntime runs without spinning threads, which would otherwise slow every
TensorFlow call timed beside it. Only ratios measured in one run mean
anything on a shared machine.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

import sk_mcdropout
from sk_mcdropout import MCDropoutClassifier, _keras
from sk_mcdropout.export import to_onnx, to_saved_model
from sk_mcdropout.neural_network import _scikeras

# The last commit before the one-row path.
BEFORE = "1118c80"


def old_sampler(commit):
    """The sampler module of ``commit``, importable beside the current one."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        source = subprocess.run(
            ["git", "show", f"{commit}:sk_mcdropout/_keras/_sampler.py"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.join(tempfile.mkdtemp(), "_sampler_before.py")
    with open(path, "w") as f:
        f.write(source)
    name = "sk_mcdropout._keras._sampler_before"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def timed(fns, calls):
    """Seconds of each call of each function, the functions taken in turns."""
    times = {name: [] for name in fns}
    for fn in fns.values():
        for _ in range(10):
            fn()
    names = list(fns)
    for i in range(calls):
        for name in names if i % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--before", default=BEFORE)
    args = parser.parse_args()

    import onnxruntime as ort
    import tensorflow as tf

    X, y = make_classification(5000, 30, n_informative=10, random_state=0)
    X = X.astype(np.float32)
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(128, 128), epochs=2, n_samples=100, random_state=0
    ).fit(X, y)
    mlp = MLPClassifier(hidden_layer_sizes=(128, 128), max_iter=20, random_state=0)
    mlp.fit(X, y)
    row, rows = X[:1], X[:1000]

    before = old_sampler(args.before)
    now_get = _keras.get_sampler

    now_plain = _scikeras._plain_rows

    def predict_before(data):
        _keras.get_sampler = before.get_sampler
        _scikeras._plain_rows = lambda estimator, X: None
        try:
            return clf.predict_proba(data)
        finally:
            _keras.get_sampler = now_get
            _scikeras._plain_rows = now_plain

    proto = to_onnx(clf, row)
    # onnxruntime's threads spin after each run by default, taking the cores
    # from the TensorFlow calls timed in turn with it; a server sharing the
    # process would switch that off too.
    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    folder = to_saved_model(clf, os.path.join(tempfile.mkdtemp(), "saved"))
    serve = tf.saved_model.load(folder).signatures["serving_default"]
    row_t = tf.constant(row)

    fns = {
        "predict_proba, 1 row": lambda: clf.predict_proba(row),
        "onnxruntime, 1 row": lambda: session.run(["probabilities"], {"X": row}),
        "onnxruntime, 1,000 rows": lambda: session.run(["probabilities"], {"X": rows}),
        "SavedModel, 1 row": lambda: serve(X=row_t),
        "Keras predict_on_batch, 1 row": lambda: clf.model_.predict_on_batch(row),
        "MLPClassifier, 1 row": lambda: mlp.predict_proba(row),
        "predict_proba, 1,000 rows": lambda: clf.predict_proba(rows),
    }
    if before is not None:
        fns["predict_proba before, 1 row"] = lambda: predict_before(row)
        fns["predict_proba before, 1,000 rows"] = lambda: predict_before(rows)
    times = timed(fns, args.calls)

    print(f"sk_mcdropout {sk_mcdropout.__version__}, load {os.getloadavg()}")
    sampler = now_get(clf.model_, 2)
    one_row = sampler.row_function(100, clf.mc_seed_) is not None
    print(f"one-row function taken: {one_row}")
    print(f"{'':34}{'median ms':>10}{'p99 ms':>10}")
    for name, values in times.items():
        values = np.asarray(values) * 1e3
        print(f"{name:34}{np.median(values):10.3f}{np.percentile(values, 99):10.3f}")
    if before is not None:
        ratio = np.median(times["predict_proba before, 1 row"]) / np.median(
            times["predict_proba, 1 row"]
        )
        print(f"one row, before / now: {ratio:.1f}x")
        keras_ratio = np.median(times["predict_proba, 1 row"]) / np.median(
            times["Keras predict_on_batch, 1 row"]
        )
        print(f"one row, now / Keras predict_on_batch: {keras_ratio:.2f}x")
        diff = np.abs(predict_before(X) - clf.predict_proba(X)).max()
        print(f"largest |before - now| of predict_proba on 5,000 rows: {diff:.2e}")
    onnx_proba = session.run(["probabilities"], {"X": X})[0]
    print(
        "largest |onnxruntime - predict_proba| on 5,000 rows: "
        f"{np.abs(onnx_proba - clf.predict_proba(X)).max():.2e}"
    )
    ops = sorted({node.op_type for node in proto.graph.node})
    print(f"ONNX file: {proto.ByteSize() / 2**20:.1f} MiB, operations: {ops}")


if __name__ == "__main__":
    main()
