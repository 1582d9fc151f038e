"""
====================================
Active learning: which labels to buy
====================================

Labels cost money: an analyst reviews a case, a doctor reads a scan. With
a few labelled rows and many unlabelled ones, which rows should be labelled
next? Asking where the model is least sure is the natural continuation of
a reject option: the rows a model would send to a person are the rows a
person's answer teaches it most.

Three ways of choosing the next rows, each starting from the same 20
labelled handwritten digits (scikit-learn's ``load_digits``):

* **BALD** (Houlsby et al. 2011; Gal, Islam & Ghahramani 2017): the rows with
  the largest mutual information between the prediction and the network's
  weights, that is where the dropout passes disagree most;
* **max probability**: the rows whose largest mean probability is smallest
  (the model is unsure, but possibly only because the row is ambiguous);
* **random**: labels bought at random, the baseline.

After each purchase of 10 labels the network is refitted and scored on a
fixed test set of 500 digits.
"""

# %%
# The loop
# --------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout.uncertainty import max_probability_uncertainty, mutual_information

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=500, stratify=y, random_state=0
)
rng = np.random.default_rng(0)
start = rng.choice(len(X_pool), size=20, replace=False)


def fit(rows):
    return MCDropoutClassifier(
        hidden_layer_sizes=(128,),
        p=0.3,
        n_samples=50,
        epochs=60,
        batch_size=16,
        random_state=0,
    ).fit(X_pool[rows], y_pool[rows])


def choose(strategy, model, unlabelled, size):
    if strategy == "random":
        return rng.choice(unlabelled, size=size, replace=False)
    passes = model.predict_proba_samples(X_pool[unlabelled])
    if strategy == "BALD":
        score = mutual_information(passes)
    else:
        score = max_probability_uncertainty(passes)
    return unlabelled[np.argsort(score)[::-1][:size]]


rounds, batch = 10, 10
curves = {}
for strategy in ("BALD", "max probability", "random"):
    labelled = start.copy()
    labels, accuracy = [], []
    for _ in range(rounds + 1):
        model = fit(labelled)
        labels.append(len(labelled))
        accuracy.append(model.score(X_test, y_test))
        unlabelled = np.setdiff1d(np.arange(len(X_pool)), labelled)
        labelled = np.concatenate(
            [labelled, choose(strategy, model, unlabelled, batch)]
        )
    curves[strategy] = (labels, accuracy)

print(f"{'labelled rows':>14s}" + "".join(f"{s:>17s}" for s in curves))
for i, n in enumerate(curves["random"][0]):
    print(f"{n:>14d}" + "".join(f"{curves[s][1][i]:>17.3f}" for s in curves))

# %%
# The labels each strategy needed to reach 85% test accuracy:
for strategy, (labels, accuracy) in curves.items():
    reached = [n for n, a in zip(labels, accuracy, strict=True) if a >= 0.85]
    print(
        f"{strategy:>16s}: "
        + (f"{reached[0]} labels" if reached else f"not within {labels[-1]} labels")
    )

# %%
# Accuracy against labels bought
# ------------------------------
fig, ax = plt.subplots(figsize=(7, 4.5))
for strategy, (labels, accuracy) in curves.items():
    ax.plot(labels, accuracy, "o-", label=strategy)
ax.set_xlabel("labelled rows")
ax.set_ylabel("test accuracy")
ax.set_title("Digits: accuracy against labels bought")
ax.legend()
fig.tight_layout()

# %%
# Reading the curves
# ------------------
# One run with one seed: differences of a point or two are within the
# noise of which 20 rows happened to start. Uncertainty-driven picks pay off
# once the model is good enough for its doubt to mean something; with very
# few labels, random picks are hard to beat. BALD's top-scored rows in one
# purchase can be near-duplicates of each other (every one of them is
# uncertain for the same reason), which small purchases limit. A real loop
# would also stop buying once the accuracy levels off, and keep a random
# share of its purchases to check that the uncertain rows were not a biased
# sample.
plt.show()
