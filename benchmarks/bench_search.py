"""Grid search over a prediction-time parameter, with and without ``memory``.

Run: ``python benchmarks/bench_search.py [--epochs E] [--n-jobs J]``

``GridSearchCV`` (cv=3, refit) of MCDropoutClassifier on the breast cancer data
(569 rows, 30 features, hidden layers (64, 64)). Three searches, timed side by
side in one run (wall time, and the process' CPU time, which other jobs on a
shared machine disturb less when ``n_jobs=1``):

- p only: {p: 3 values}, 9 networks trained (plus the refit);
- the full grid {p: 3 values} x {n_samples: 4 values} without ``memory``: 36;
- the same full grid with ``memory`` (an empty temporary directory): 9 again,
  the other 27 fits load the fitted network from the cache.

Target: the full grid with ``memory`` costs at most 1.3x the p-only search, and
gives the same ``cv_results_`` scores as the full grid without it.
"""

import argparse
import tempfile
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier

P = [0.1, 0.2, 0.3]
N_SAMPLES = [10, 30, 100, 300]


def search(X, y, grid, n_jobs, **params):
    clf = MCDropoutClassifier(hidden_layer_sizes=(64, 64), random_state=0, **params)
    gs = GridSearchCV(clf, grid, cv=3, n_jobs=n_jobs)
    wall, cpu = time.perf_counter(), time.process_time()
    gs.fit(X, y)
    return (time.perf_counter() - wall, time.process_time() - cpu), gs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    full = {"p": P, "n_samples": N_SAMPLES}
    fit = dict(epochs=args.epochs)

    # Warm-up: TensorFlow's one-off start-up costs belong to no search.
    search(X[:100], y[:100], {"p": [0.1]}, 1, epochs=1)

    # The two searches the target compares run back to back.
    t_p, _ = search(X, y, {"p": P}, args.n_jobs, **fit)
    with tempfile.TemporaryDirectory() as cache:
        t_mem, gs_mem = search(X, y, full, args.n_jobs, memory=cache, **fit)
    t_full, gs_full = search(X, y, full, args.n_jobs, **fit)

    same = np.array_equal(
        gs_full.cv_results_["mean_test_score"], gs_mem.cv_results_["mean_test_score"]
    )
    n_cand = len(P) * len(N_SAMPLES)
    print(f"GridSearchCV, cv=3, epochs={args.epochs}, n_jobs={args.n_jobs}")
    print(f"{'search':<36}{'fits':>5}{'wall s':>8}{'ratio':>7}{'CPU s':>8}{'ratio':>7}")
    rows = [
        ("p only (3 candidates)", 3 * 3 + 1, t_p),
        (f"p x n_samples ({n_cand}), memory", n_cand * 3 + 1, t_mem),
        (f"p x n_samples ({n_cand}), no memory", n_cand * 3 + 1, t_full),
    ]
    for name, fits, (wall, cpu) in rows:
        print(
            f"{name:<36}{fits:>5}{wall:>8.1f}{wall / t_p[0]:>6.2f}x"
            f"{cpu:>8.1f}{cpu / t_p[1]:>6.2f}x"
        )
    print(f"networks trained with memory: {len(P) * 3 + 1} of {n_cand * 3 + 1}")
    print(f"same cv_results_ scores with and without memory: {same}")
    print(f"best: {gs_mem.best_params_}, score {gs_mem.best_score_:.4f}")
    ok = t_mem[0] / t_p[0] <= 1.3
    print(f"target, full grid with memory <= 1.3x p only (wall): {ok}")


if __name__ == "__main__":
    main()
