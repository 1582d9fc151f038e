"""Speed of Monte Carlo prediction against the floor and the common recipe.

Run: ``python benchmarks/bench_predict.py [--quick]``

In one process, on the same weights and rows (30 inputs -> Dense 128 relu ->
Dropout 0.2 -> Dense 128 relu -> Dropout 0.2 -> Dense 2 softmax, 10,000 rows,
N = 100 passes), times:

- ``predict_proba``: MCDropoutClassifier's sampler;
- the floor: the same Dense layers with no dropout at all, the first layer once
  per row and the rest on N x rows, in compiled calls over the same chunks of
  rows, reduced the same way;
- the common recipe: ``model(X, training=True)`` in a Python loop, averaged.

Each is the best of several repeats, taken in turns so that machine noise hits
all alike; only the ratios are meaningful. Then a scaling table of
``predict_proba`` over N and rows (time per million row-passes), and the
training time of MCDropoutClassifier against a plain scikeras KerasClassifier
with the same network and epochs.
"""

import argparse
import gc
import time

import numpy as np
from sklearn.datasets import make_classification

import sk_mcdropout
from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout import _keras as _network
from sk_mcdropout._keras._backend import keras, tf
from sk_mcdropout._keras._sampler import _mean_and_std


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(fns, repeats):
    """Best time of each callable, run in turns.

    The order alternates (ABC, CBA, ...) and garbage is collected before each
    run, so that no contender always pays for freeing its predecessor's graphs.
    """
    best = {name: np.inf for name in fns}
    names = list(fns)
    for i in range(repeats):
        for name in names if i % 2 == 0 else names[::-1]:
            gc.collect()
            start = time.perf_counter()
            fns[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def make_floor(clf, n_passes):
    """Same Dense layers, no dropout: first layer once, the rest on N x rows."""
    dense = [
        layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Dense)
    ]
    spec = [tf.TensorSpec((None, clf.n_features_in_), tf.float32)]

    @tf.function(input_signature=spec)
    def passes(x):
        h = dense[0](x)
        h = tf.tile(h, [n_passes, 1])
        for layer in dense[1:]:
            h = layer(h)
        return tf.reshape(h, [n_passes, tf.shape(x)[0], -1])

    sampler = _network.get_sampler(clf.model_, len(clf.classes_))
    step = sampler.chunk_rows(n_passes, clf.max_chunk_memory)

    def run(X):
        parts = []
        for start in range(0, len(X), step):
            samples = passes(tf.constant(X[start : start + step])).numpy()
            parts.append(_mean_and_std(samples)[0])
        return np.concatenate(parts)

    return run


def make_recipe(clf, n_passes):
    model = clf.model_

    def run(X):
        return np.mean(
            [np.asarray(model(X, training=True)) for _ in range(n_passes)], axis=0
        )

    return run


def fit_ratio(X, y, epochs, repeats):
    from scikeras.wrappers import KerasClassifier

    def build(meta):
        return _network.build_mlp(meta, hidden_layer_sizes=(128, 128), p=0.2)

    common = dict(
        epochs=epochs,
        batch_size=32,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        verbose=0,
    )

    def ours():
        MCDropoutClassifier(
            hidden_layer_sizes=(128, 128), p=0.2, random_state=0, **common
        ).fit(X, y)

    def plain():
        KerasClassifier(model=build, **common).fit(X, y)

    return interleaved({"MCDropoutClassifier": ours, "KerasClassifier": plain}, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 5

    n_rows, n_passes = 10_000, 100
    X, y = make_classification(
        n_samples=n_rows, n_features=30, n_informative=10, random_state=0
    )
    X = X.astype(np.float32)
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(128, 128),
        p=0.2,
        n_samples=n_passes,
        epochs=2,
        random_state=0,
    ).fit(X, y)

    floor = make_floor(clf, n_passes)
    recipe = make_recipe(clf, n_passes)
    # Warm up: trace every compiled function once.
    clf.predict_proba(X[:10])
    floor(X[:10])
    recipe(X[:10])

    print(
        f"sk_mcdropout {sk_mcdropout.__version__}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}"
    )
    print(
        f"network 30-128-128-2, p=0.2, {n_rows:,} rows, N={n_passes} passes, "
        f"best of {repeats}"
    )
    best = interleaved(
        {
            "predict_proba": lambda: clf.predict_proba(X),
            "floor": lambda: floor(X),
            "recipe": lambda: recipe(X),
        },
        repeats,
    )
    for name, seconds in best.items():
        print(f"  {name:<14} {seconds * 1e3:8.1f} ms")
    print(
        f"predict_proba / floor  = {best['predict_proba'] / best['floor']:.2f}"
        "   (target <= 1.1)"
    )
    print(
        f"recipe / predict_proba = {best['recipe'] / best['predict_proba']:.2f}"
        "   (target >= 3.5)"
    )

    print("\nscaling: predict_proba time per million row-passes (ms)")
    sizes = (1_000, 10_000, 100_000)
    X_big, _ = make_classification(n_samples=max(sizes), n_features=30, random_state=1)
    X_big = X_big.astype(np.float32)
    print(f"{'N / rows':>10}" + "".join(f"{s:>12,}" for s in sizes))
    for n in (10, 100, 1000):
        clf.set_params(n_samples=n)
        cells = []
        for rows in sizes:
            work = n * rows
            reps = 1 if work >= 10_000_000 else (2 if args.quick else 3)
            seconds = best_of(lambda r=rows: clf.predict_proba(X_big[:r]), reps)
            cells.append(seconds / work * 1e9)
        print(f"{n:>10}" + "".join(f"{c:>12.1f}" for c in cells))

    epochs = 3
    fit = fit_ratio(X, y, epochs, 3 if args.quick else 5)
    print(
        f"\nfit, {n_rows:,} rows, {epochs} epochs, best of "
        f"{3 if args.quick else 5} (interleaved):"
    )
    for name, seconds in fit.items():
        print(f"  {name:<20} {seconds:6.2f} s")
    ratio = fit["MCDropoutClassifier"] / fit["KerasClassifier"]
    print(f"MCDropoutClassifier / KerasClassifier fit = {ratio:.3f}   (target <= 1.05)")


if __name__ == "__main__":
    main()
