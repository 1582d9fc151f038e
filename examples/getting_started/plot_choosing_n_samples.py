"""
===================================
How many passes? Choosing n_samples
===================================

``predict_proba`` is the mean of ``n_samples`` stochastic passes, so it is a
Monte Carlo estimate: with few passes it moves away from the value infinitely
many passes would give. How far? The passes of a row are independent draws,
so the error of their mean is about ``std / sqrt(n_samples)``, with ``std``
the spread of the passes (``predict_uncertainty``). This example measures it
against 3,000 passes and compares it with that formula.

Two properties make the comparison exact: the passes of ``n_samples=10`` are
the first 10 of ``n_samples=3000`` (the masks of pass ``k`` are drawn from a
seed fixed at fit), and ``n_samples`` takes effect without refitting.
"""

# %%
# One network, predicted with more and more passes
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
clf = MCDropoutClassifier(
    hidden_layer_sizes=(64, 64), p=0.3, epochs=30, random_state=0
).fit(X_train, y_train)

reference = clf.set_params(n_samples=3000).predict_proba(X_test)[:, 1]
std_ref = clf.predict_uncertainty(X_test)[:, 1]  # the spread of 3,000 passes
label_ref = reference > 0.5
n_grid = [3, 10, 30, 100, 300, 1000]
results = {}
for n in n_grid:
    clf.set_params(n_samples=n)
    proba = clf.predict_proba(X_test)[:, 1]
    results[n] = dict(
        error=np.abs(proba - reference),
        formula=std_ref / np.sqrt(n),
        flips=np.mean((proba > 0.5) != label_ref),
    )

# %%
# The figures
# -----------
# For each ``n_samples``: how far a row's probability of the benign class is
# from its 3,000-pass value (median, 95th percentile and largest over the 171
# test rows), what the formula ``std / sqrt(n_samples)`` predicts for that
# error (95th percentile and largest over the rows, with each row's std of
# 3,000 passes), the fraction of rows whose predicted class differs from the
# 3,000-pass one.
print(
    f"{'passes':>6} {'|error| median':>14} {'p95':>7} {'max':>7} "
    f"{'std/sqrt(n) p95':>15} {'max':>7} {'class flips':>11}"
)
for n in (10, 30, 100, 300):
    r = results[n]
    print(
        f"{n:>6} {np.median(r['error']):14.4f} {np.quantile(r['error'], 0.95):7.4f} "
        f"{r['error'].max():7.4f} {np.quantile(r['formula'], 0.95):15.4f} "
        f"{r['formula'].max():7.4f} {r['flips']:11.1%}"
    )
print(
    f"\nstd of the passes: median {np.median(std_ref):.4f}, "
    f"95th percentile {np.quantile(std_ref, 0.95):.4f}, largest {std_ref.max():.4f}"
)

# %%
# Error against passes
# --------------------
# Both axes are logarithmic: a slope of -1/2 is the ``1 / sqrt(n_samples)``
# law. The dashed line is the formula's prediction, from each row's std.
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for name, stat in (("median", np.median), ("95th percentile", None)):
    values = [
        stat(results[n]["error"]) if stat else np.quantile(results[n]["error"], 0.95)
        for n in n_grid
    ]
    ax.plot(n_grid, values, "o-", label=f"|p - p(3,000 passes)|, {name}")
ax.plot(
    n_grid,
    [np.quantile(results[n]["formula"], 0.95) for n in n_grid],
    "k--",
    label="std / sqrt(n_samples), 95th percentile",
)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("n_samples (passes)")
ax.set_ylabel("error of P(benign)")
ax.set_title("The Monte Carlo error falls as 1 / sqrt(n_samples)")
ax.legend()
fig.tight_layout()

# %%
# Choosing
# --------
# The error that matters is the one against the decision: a probability
# compared with a threshold, or a ranking of rows by uncertainty. Most rows
# here are certain (their passes agree, std near 0), and their probability is
# exact with any number of passes; the doubtful rows are the ones whose
# estimate moves. To keep a row's Monte Carlo error below ``e``, take
# ``n_samples >= (std / e) ** 2`` for the largest std that matters to you.
# Prediction time grows linearly with ``n_samples`` (see the user guide's
# performance section).
