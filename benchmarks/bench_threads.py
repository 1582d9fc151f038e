"""Fits and predictions from several threads: same results, and what the lock costs.

Run: ``python benchmarks/bench_threads.py``

Fits hold a process-wide lock while Keras and TensorFlow draw from their global
seeds (Keras' layer seeds, Model.fit's shuffling); predictions take no lock.
This runs a GridSearchCV over ``p`` (3 values x 3 folds, breast cancer data)
sequentially and with the threading backend (n_jobs=2), checks that the scores
are identical, and times both; then times ``predict_proba`` on 4 x 20,000 rows
from one thread and from 2 threads at once on a shared fitted estimator.
"""

import threading
import time

import joblib
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main():
    X, y = load_breast_cancer(return_X_y=True)
    clf = MCDropoutClassifier(hidden_layer_sizes=(32,), epochs=20, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), clf),
        {"mcdropoutclassifier__p": [0.1, 0.2, 0.4]},
        cv=3,
        scoring="neg_log_loss",
    )
    search.fit(X, y)  # warm-up: TensorFlow's first traces
    sequential, t_seq = timed(lambda: search.set_params(n_jobs=1).fit(X, y))
    seq_scores = sequential.cv_results_["mean_test_score"].copy()
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded, t_thr = timed(lambda: search.set_params(n_jobs=2).fit(X, y))
    same = np.array_equal(threaded.cv_results_["mean_test_score"], seq_scores)
    print("GridSearchCV, 3 candidates x 3 folds (9 fits + refit):")
    print(f"  sequential           {t_seq:6.2f} s")
    print(f"  threading, n_jobs=2  {t_thr:6.2f} s  ({t_thr / t_seq:.2f}x)")
    print(f"  identical scores: {same}")

    fitted = clf.set_params(n_samples=50).fit(StandardScaler().fit_transform(X), y)
    rows = np.random.RandomState(0).randn(20_000, X.shape[1])
    fitted.predict_proba(rows)  # warm-up
    expected, t_one = timed(lambda: [fitted.predict_proba(rows) for _ in range(4)])
    results = []

    def work():
        results.extend(fitted.predict_proba(rows) for _ in range(2))

    def two_threads():
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    _, t_two = timed(two_threads)
    same = all(np.array_equal(r, expected[0]) for r in results)
    print("predict_proba, 4 calls on 20,000 rows, 50 passes:")
    print(f"  one thread           {t_one:6.2f} s")
    print(f"  two threads          {t_two:6.2f} s  ({t_two / t_one:.2f}x)")
    print(f"  identical arrays: {same}")


if __name__ == "__main__":
    main()
