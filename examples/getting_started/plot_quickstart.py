"""
==================================================
Quickstart: a probability and a doubt for each row
==================================================

An MC dropout classifier is a scikit-learn classifier: it fits in a
``Pipeline`` and predicts probabilities. What it adds is a measure of how
sure it is about each row. Here it learns to tell malignant from benign
tumours (scikit-learn's breast cancer data), and we look at the rows it is
least sure about.
"""

# %%
# Fit in a Pipeline
# -----------------
# ``n_samples=100`` stochastic forward passes with dropout on; their mean is
# ``predict_proba``.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout.uncertainty import mutual_information

data = load_breast_cancer(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
)
model = make_pipeline(
    StandardScaler(),
    MCDropoutClassifier(
        hidden_layer_sizes=(64, 64), p=0.3, n_samples=100, epochs=30, random_state=0
    ),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Uncertainty per row
# -------------------
# ``predict_uncertainty`` is the standard deviation of each class probability
# across the passes. The raw passes, ``predict_proba_samples``, feed the
# measures of :mod:`sk_mcdropout.uncertainty`, such as the mutual information
# between the prediction and the network's weights (the passes' disagreement).
network = model[-1]
X_test_t = model[:-1].transform(X_test)
proba = network.predict_proba(X_test_t)
std = network.predict_uncertainty(X_test_t)
passes = network.predict_proba_samples(X_test_t)
print(f"passes: {passes.shape} (n_samples, n_rows, n_classes)")

predicted = proba.argmax(axis=1)
rows = np.arange(len(predicted))
table = {
    "P(benign)": proba[:, 1],
    "std": std[rows, predicted],
    "mutual inf.": mutual_information(passes),
    "predicted": data.target_names[predicted],
    "true": data.target_names[y_test.to_numpy()],
}
order = np.argsort(table["std"])
print(f"\n{'':>6}" + "".join(f"{name:>11}" for name in table))
for label, chosen in (("surest", order[:4]), ("least", order[-6:])):
    for i in chosen:
        cells = [
            f"{v[i]:>11.3f}" if np.isreal(v[i]) else f"{v[i]:>11}"
            for v in table.values()
        ]
        print(f"{label:>6}" + "".join(cells))

# %%
# Are the doubtful rows the wrong ones?
# -------------------------------------
# The standard deviation of the predicted class's probability, for the
# predictions that were right and for those that were wrong.
wrong = predicted != y_test.to_numpy()
print(
    f"\nmean std of the predicted class: right {table['std'][~wrong].mean():.3f} "
    f"({(~wrong).sum()} rows), wrong {table['std'][wrong].mean():.3f} "
    f"({wrong.sum()} rows)"
)

fig, (ax_scatter, ax_hist) = plt.subplots(1, 2, figsize=(10, 4))
ax_scatter.scatter(
    proba[~wrong, 1], table["std"][~wrong], s=12, label="right", color="tab:blue"
)
ax_scatter.scatter(
    proba[wrong, 1], table["std"][wrong], s=40, marker="x", label="wrong", color="red"
)
ax_scatter.set_xlabel("P(benign), mean of the passes")
ax_scatter.set_ylabel("std of the predicted class across passes")
ax_scatter.legend()
ax_scatter.set_title("Doubt peaks where the probability is near 0.5")
bins = np.linspace(0, table["std"].max(), 20)
ax_hist.hist(table["std"][~wrong], bins=bins, label="right", color="tab:blue")
ax_hist.hist(table["std"][wrong], bins=bins, label="wrong", color="red", alpha=0.7)
ax_hist.set_yscale("log")
ax_hist.set_xlabel("std of the predicted class across passes")
ax_hist.set_ylabel("test rows")
ax_hist.legend()
ax_hist.set_title("Most wrong predictions are doubtful")
fig.tight_layout()

# %%
# Next: :ref:`sphx_glr_auto_examples_rejection_plot_credit_risk_rejection.py`
# sends the doubtful cases to a person, and
# :ref:`sphx_glr_auto_examples_getting_started_plot_choosing_n_samples.py`
# shows how many passes such estimates need.
