"""Peak memory of Monte Carlo prediction on a million rows.

Run: ``python benchmarks/bench_memory.py [--rows N]``

Fits MCDropoutClassifier (30 inputs, hidden layers (256, 256), p=0.2) briefly,
then calls ``predict_proba`` on 1,000,000 x 30 float64 rows with
``n_samples=30`` and the default ``max_chunk_memory`` (256 MiB). Prints the
peak resident memory of the whole process (TensorFlow included) before and
after, and checks that the rows equal those predicted in small slices.
Target: peak below 2 GiB.
"""

import argparse
import resource
import time

import numpy as np

from sk_mcdropout import MCDropoutClassifier


def peak_mib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(5_000, 30))
    y_train = (X_train[:, :3].sum(axis=1) > 0).astype(int)
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(256, 256), p=0.2, n_samples=30, epochs=1, random_state=0
    ).fit(X_train, y_train)
    clf.predict_proba(X_train[:10])

    X = rng.normal(size=(args.rows, 30))
    print(
        f"{args.rows:,} x 30 float64 rows ({X.nbytes / 2**20:.0f} MiB), "
        f"hidden (256, 256), n_samples=30, max_chunk_memory="
        f"{clf.max_chunk_memory} MiB"
    )
    print(
        f"before predict_proba: resident {current_mib():.0f} MiB, "
        f"peak so far {peak_mib():.0f} MiB"
    )
    start = time.perf_counter()
    proba = clf.predict_proba(X)
    seconds = time.perf_counter() - start
    peak = peak_mib()
    print(
        f"predict_proba: {seconds:.1f} s, peak resident {peak:.0f} MiB "
        f"({peak / 1024:.2f} GiB; target < 2 GiB)"
    )

    slices = [
        slice(0, 1_000),
        slice(args.rows // 2, args.rows // 2 + 777),
        slice(args.rows - 3, args.rows),
    ]
    same = all(np.array_equal(clf.predict_proba(X[s]), proba[s]) for s in slices)
    rows = rng.choice(args.rows, size=500, replace=False)
    same &= np.array_equal(clf.predict_proba(X[rows]), proba[rows])
    print(f"rows equal to those predicted in small slices: {same}")


if __name__ == "__main__":
    main()
