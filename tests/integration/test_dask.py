"""Dask: grid search on a distributed cluster, prediction partition by partition.

The cluster is started here, with two worker processes of one thread each and
TensorFlow capped at one thread per pool in each worker, as the README
recommends for several workers on one machine.
"""

import joblib
import numpy as np
import pandas as pd
import pytest

from sk_mcdropout import limit_tf_threads
from sk_mcdropout._keras import _backend

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def tf_env():
    with pytest.MonkeyPatch.context() as mp:
        # limit_tf_threads sets os.environ: undo it for the rest of the session.
        for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
            mp.setenv(name, "0")
        # This process's pools cannot change once its runtime has started:
        # limit_tf_threads says so, and still sets the workers' environment.
        _backend.ensure_runtime()
        with pytest.warns(RuntimeWarning, match="only the environment"):
            env = limit_tf_threads(1)
        yield env


@pytest.fixture(scope="module")
def client(tf_env):
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=tf_env,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def fitted(binary_data, make_classifier):
    X, y = binary_data
    return make_classifier(epochs=3).fit(X, y)


def test_workers_cap_tensorflow_threads(client, tf_env):
    assert tf_env == {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    environs = client.run(lambda: dict(__import__("os").environ))
    assert len(environs) == 2
    for environ in environs.values():
        assert {name: environ.get(name) for name in tf_env} == tf_env


def test_grid_search_on_the_cluster_matches_sequential(client, grid_search):
    X, y, search, sequential = grid_search
    with joblib.parallel_backend("dask"):
        on_dask = search(n_jobs=-1).fit(X, y).cv_results_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(sequential[key], on_dask[key])


def test_a_fit_on_a_worker_equals_a_local_fit(client, binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=3)

    def fit():
        return clf.fit(X, y).predict_proba(X)

    remote = client.submit(fit, pure=False).result()
    np.testing.assert_array_equal(remote, fit())


def test_map_blocks_over_a_dask_array(client, fitted, binary_data):
    X, _ = binary_data
    expected = fitted.predict_proba(X)
    chunks = da.from_array(X, chunks=(100, X.shape[1]))
    lazy = chunks.map_blocks(
        fitted.predict_proba,
        dtype=np.float64,
        chunks=(chunks.chunks[0], (len(fitted.classes_),)),
    )
    np.testing.assert_array_equal(lazy.compute(), expected)


def test_parallel_post_fit_over_array_and_dataframe(client, fitted, binary_data):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, _ = binary_data
    expected = fitted.predict_proba(X)
    post = wrappers.ParallelPostFit(estimator=fitted)
    chunks = da.from_array(X, chunks=(100, X.shape[1]))
    np.testing.assert_array_equal(post.predict_proba(chunks).compute(), expected)
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=4)
    np.testing.assert_array_equal(post.predict_proba(frame).compute(), expected)
    np.testing.assert_array_equal(post.predict(frame).compute(), fitted.predict(X))
