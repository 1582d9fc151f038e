"""Memory growth over many fit + predict cycles, against plain Keras.

Run: ``python benchmarks/bench_fit_memory.py [--cycles 60]``

A long grid search fits and discards one network per candidate and fold. Each
side runs in its own fresh process: ``--cycles`` times, fit a 20-64-2 dropout
network on 2,000 rows for 2 epochs, predict, and drop every reference. Resident
memory is read after each cycle; the growth per cycle is the slope of a least
squares line over the cycles after the first ten (warm-up: TensorFlow's
caches, first traces). Target: ours grows no faster than plain Keras.
"""

import argparse
import json
import subprocess
import sys

_CHILD = """
import gc, json, resource, sys
import numpy as np

which, cycles = sys.argv[1], int(sys.argv[2])

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

rng = np.random.RandomState(0)
X = rng.randn(2000, 20).astype(np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(int)

if which == "sk_mcdropout":
    from sk_mcdropout import MCDropoutClassifier

    def cycle(seed):
        clf = MCDropoutClassifier(hidden_layer_sizes=(64,), epochs=2, n_samples=30,
                                  random_state=seed).fit(X, y)
        clf.predict_proba(X)
        clf.predict_uncertainty(X)
else:
    import keras

    def cycle(seed):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((20,))
        x = keras.layers.Dense(64, activation="relu")(inputs)
        x = keras.layers.Dropout(0.2)(x)
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(X, y, epochs=2, verbose=0)
        model.predict(X, verbose=0)
        model.predict(X, verbose=0)

trace = []
for seed in range(cycles):
    cycle(seed)
    gc.collect()
    trace.append(rss_mib())
print(json.dumps(trace))
"""


def slope(values):
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return num / sum((i - mean_x) ** 2 for i in range(n))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=60)
    args = parser.parse_args()
    print(f"{args.cycles} fit + predict cycles, 20-64-2 network, 2,000 rows")
    print(f"{'':<14}{'start MiB':>10}{'end MiB':>10}{'MiB / cycle':>13}")
    for which in ("plain Keras", "sk_mcdropout"):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, which, str(args.cycles)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        trace = json.loads(out.strip().splitlines()[-1])
        print(
            f"{which:<14}{trace[9]:>10.0f}{trace[-1]:>10.0f}{slope(trace[10:]):>13.2f}"
        )


if __name__ == "__main__":
    main()
