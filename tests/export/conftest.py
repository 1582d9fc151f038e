"""One small fitted pipeline per task, shared by the export tests."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_mcdropout import (
    MCDropoutClassifier,
    MCDropoutRegressor,
    RejectOptionClassifier,
)

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")


def _frame(n, seed):
    """Mixed-type rows: floats with missing values, strings, an int column."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(40.0, 12.0, n),
            "balance": rng.normal(900.0, 400.0, n),
            "student": rng.choice(["Yes", "No"], n),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "income"] = np.nan
    return frame


def _preprocessing():
    return ColumnTransformer(
        [
            (
                "numbers",
                make_pipeline(SimpleImputer(), StandardScaler()),
                ["income", "balance"],
            ),
            ("words", OneHotEncoder(handle_unknown="ignore"), ["student", "region"]),
        ]
    )


@pytest.fixture(scope="session")
def frames():
    """(training rows, new rows): DataFrames of mixed column types."""
    return _frame(600, 0), _frame(300, 1)


@pytest.fixture(scope="session")
def default_labels(frames):
    train, _ = frames
    rng = np.random.default_rng(2)
    score = (train["balance"] - 900) / 400 + (train["student"] == "Yes") * 0.5
    return np.where(score + rng.normal(0, 0.7, len(train)) > 0.8, "Yes", "No")


@pytest.fixture(scope="session")
def credit_pipeline(frames, default_labels):
    """A fitted Pipeline: ColumnTransformer, then an MC classifier."""
    train, _ = frames
    network = MCDropoutClassifier(
        hidden_layer_sizes=(32, 32), epochs=5, n_samples=30, random_state=0
    )
    return Pipeline([("prepare", _preprocessing()), ("network", network)]).fit(
        train, default_labels
    )


@pytest.fixture(scope="session")
def credit_reject(credit_pipeline, frames, default_labels):
    """A reject option with a novelty guard around the frozen pipeline."""
    train, _ = frames
    return RejectOptionClassifier(
        FrozenEstimator(credit_pipeline),
        measure="predictive_entropy",
        coverage=0.8,
        novelty_quantile=0.95,
    ).fit(train, default_labels)


@pytest.fixture(scope="session")
def balance_pipeline(frames):
    """A fitted Pipeline ending in a heteroscedastic MC regressor."""
    train, _ = frames
    y = 0.01 * train["balance"].to_numpy() + (train["student"] == "Yes") * 2.0
    network = MCDropoutRegressor(
        hidden_layer_sizes=(16,),
        epochs=5,
        n_samples=20,
        noise="heteroscedastic",
        random_state=0,
    )
    return make_pipeline(_preprocessing(), network).fit(train, y)


def onnx_feeds(frame):
    """onnxruntime inputs of a DataFrame: one (rows, 1) array per column."""
    feeds = {}
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype.kind == "f":
            feeds[column] = values.astype(np.float32).reshape(-1, 1)
        else:
            feeds[column] = values.astype(str).reshape(-1, 1)
    return feeds


@pytest.fixture(scope="session")
def make_feeds():
    return onnx_feeds
