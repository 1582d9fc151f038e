"""Demo: ``python -m sk_mcdropout``.

Trains an MC dropout network on scikit-learn's bundled breast cancer data and
compares its Monte Carlo averaged prediction with the same network's ordinary
deterministic prediction on a held-out quarter of the data.
"""

import sys
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MCDropoutClassifier


def run(random_state=0, out=sys.stdout):
    """Fit, predict both ways, and print the comparison table."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(64, 64),
        p=0.3,
        n_samples=200,
        epochs=40,
        random_state=random_state,
    )
    model = make_pipeline(StandardScaler(), clf)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_time = time.perf_counter() - start

    X_test_t = model[:-1].transform(X_test)
    start = time.perf_counter()
    mc = clf.predict_proba(X_test_t)
    std = clf.predict_uncertainty(X_test_t)
    mc_time = time.perf_counter() - start
    det = clf.predict_proba_deterministic(X_test_t)

    def row(name, proba):
        pred = clf.classes_[proba.argmax(axis=1)]
        return (
            f"{name:<28}{accuracy_score(y_test, pred):>9.4f}"
            f"{log_loss(y_test, proba, labels=clf.classes_):>10.4f}"
            f"{brier_score_loss(y_test, proba[:, 1]):>9.4f}"
        )

    pred = clf.classes_[mc.argmax(axis=1)]
    # Uncertainty of a prediction: the std of its predicted class's probability.
    std_pred = std[np.arange(len(std)), mc.argmax(axis=1)]
    right, wrong = std_pred[pred == y_test], std_pred[pred != y_test]

    print(
        f"Breast cancer (scikit-learn), {len(X_train)} train / {len(X_test)} test "
        f"rows; MLP {clf.hidden_layer_sizes}, p={clf.p}, "
        f"{clf.n_samples} MC passes.",
        file=out,
    )
    print(f"fit {fit_time:.1f} s, MC predict_proba {mc_time * 1e3:.0f} ms\n", file=out)
    print(f"{'prediction':<28}{'accuracy':>9}{'log loss':>10}{'Brier':>9}", file=out)
    print(row("deterministic (dropout off)", det), file=out)
    print(row(f"MC dropout mean ({clf.n_samples})", mc), file=out)
    print("\nmean MC std of the predicted class's probability:", file=out)
    print(f"  right predictions ({len(right):>3}): {right.mean():.4f}", file=out)
    if len(wrong):
        print(f"  wrong predictions ({len(wrong):>3}): {wrong.mean():.4f}", file=out)
    else:
        print("  wrong predictions (  0): -", file=out)


if __name__ == "__main__":
    run()
