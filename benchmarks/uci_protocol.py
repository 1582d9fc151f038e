"""Gal & Ghahramani's (2016) UCI regression protocol on ``load_diabetes``.

20 random 90/10 train/test splits. On each split the inputs are standardised
on the training rows and every method is fitted on the same rows:

- MC dropout: one hidden layer of 50 ReLU units, dropout on the inputs and on
  the hidden layer, ``n_samples=100`` passes, homoscedastic noise estimated on
  the training rows (and, for comparison, the heteroscedastic head);
- the same fitted network without MC: one deterministic pass (dropout off,
  weights scaled), with a homoscedastic noise variance equal to its mean
  squared training residual;
- ``BayesianRidge`` and ``GaussianProcessRegressor`` (constant x RBF with one
  length-scale per feature + white noise, ``normalize_y=True``).

The network follows the paper's original UCI setting (40 epochs, batch size
32, dropout on inputs and hidden units) without its weight decay and
without its grid search over dropout rate and tau: p and the noise are fixed
or estimated on the training rows, so no method is tuned on test data.

Reported per method: test RMSE and test log-likelihood per row, in the original
target units, as mean +- standard error over the splits. The MC dropout
log-likelihood is the paper's: ``log (1/T) sum_t N(y | yhat_t, sigma_t**2)``,
a log-mean-exp over the passes; the others use their Gaussian predictive.

Run: ``python benchmarks/uci_protocol.py`` (a few minutes on 2 cores).
"""

import time
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor

N_SPLITS = 20
NETWORK = dict(
    hidden_layer_sizes=(50,),
    input_dropout=True,
    p=0.05,
    epochs=40,
    learning_rate=0.005,
    batch_size=32,
    n_samples=100,
)


def gaussian_ll(y, mean, std):
    """Mean Gaussian log density per row."""
    return np.mean(-0.5 * np.log(2 * np.pi * std**2) - 0.5 * ((y - mean) / std) ** 2)


def mc_ll(y, means, stds):
    """The paper's log-mean-exp over passes of a Gaussian likelihood, per row."""
    log_p = -0.5 * np.log(2 * np.pi * stds**2) - 0.5 * ((y - means) / stds) ** 2
    return np.mean(logsumexp(log_p, axis=0) - np.log(len(means)))


def rmse(y, mean):
    return float(np.sqrt(np.mean((y - mean) ** 2)))


def run_split(X, y, split):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.1, random_state=split)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    out = {}

    for noise in ("homoscedastic", "heteroscedastic"):
        reg = MCDropoutRegressor(**NETWORK, noise=noise, random_state=split)
        reg.fit(X_tr, y_tr)
        means, stds = reg.predict_samples(X_te, return_noise_std=True)
        out[f"MC dropout ({noise})"] = (
            rmse(y_te, means.mean(axis=0)),
            mc_ll(y_te, means, stds),
        )
        if noise == "homoscedastic":
            # The same fitted network, one deterministic pass.
            sigma = np.sqrt(np.mean((y_tr - reg.predict_deterministic(X_tr)) ** 2))
            det = reg.predict_deterministic(X_te)
            out["same network, no MC"] = (
                rmse(y_te, det),
                gaussian_ll(y_te, det, sigma),
            )

    br = BayesianRidge().fit(X_tr, y_tr)
    mean, std = br.predict(X_te, return_std=True)
    out["BayesianRidge"] = (rmse(y_te, mean), gaussian_ll(y_te, mean, std))

    kernel = ConstantKernel() * RBF(length_scale=np.ones(X.shape[1])) + WhiteKernel()
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=split)
    with warnings.catch_warnings():
        # Length-scales of irrelevant features run to their upper bound: the
        # expected outcome of ARD, not a failure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X_tr, y_tr)
    mean, std = gp.predict(X_te, return_std=True)
    out["GaussianProcessRegressor"] = (rmse(y_te, mean), gaussian_ll(y_te, mean, std))
    return out


def main():
    X, y = load_diabetes(return_X_y=True)
    start = time.perf_counter()
    results = {}
    for split in range(N_SPLITS):
        for name, scores in run_split(X, y, split).items():
            results.setdefault(name, []).append(scores)
    elapsed = time.perf_counter() - start

    print(
        f"load_diabetes ({len(y)} rows, {X.shape[1]} features), {N_SPLITS} random "
        "90/10 splits; mean +- standard error over splits"
    )
    print(
        f"network: 1 hidden layer of 50 units, dropout p={NETWORK['p']} on inputs "
        f"and hidden, {NETWORK['epochs']} epochs (Adam, learning rate "
        f"{NETWORK['learning_rate']}), {NETWORK['n_samples']} passes"
    )
    header = f"{'method':<34}{'test RMSE':>18}{'test log-likelihood':>24}"
    print(header)
    print("-" * len(header))
    for name, scores in results.items():
        scores = np.asarray(scores)
        mean = scores.mean(axis=0)
        sem = scores.std(axis=0, ddof=1) / np.sqrt(len(scores))
        print(
            f"{name:<34}{mean[0]:>10.2f} +- {sem[0]:<5.2f}"
            f"{mean[1]:>16.3f} +- {sem[1]:<5.3f}"
        )
    print(f"({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
