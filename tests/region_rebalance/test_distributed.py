import json

import numpy as np
import pytest

from tests.harness import BACKEND
from tests.harness import run_python

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.skipif(
        BACKEND == "torch", reason="keras_rr supports tf.distribute and keras.distribution (TF/JAX) only"
    ),
]


def test_two_replicas_match_one_device_on_the_global_batch():
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"} if BACKEND == "jax" else {}
    proc = run_python("from tests.region_rebalance.distributed_script import main; main()", env=env)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    # Image scope (the paper) and batch scope (the authors' code: one region per class of
    # the *global* batch, its sums and counts added over the replicas).
    for scope in ("image", "batch"):
        single, dist = result[scope]["single"], result[scope]["distributed"]
        for key in ("loss", "pixel_loss", "region_loss"):
            np.testing.assert_allclose(dist["logs"][key], single["logs"][key], rtol=1e-5, err_msg=f"{scope} {key}")
        # The region mean is over the global batch, not an average of replica means.
        assert abs(single["logs"]["region_loss"] - result[scope]["mean_of_replica_means"]) > 1e-3, scope
        for got, want in zip(dist["weights"], single["weights"]):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=2e-6, err_msg=scope)
    assert abs(result["image"]["single"]["logs"]["region_loss"] - result["batch"]["single"]["logs"]["region_loss"]) > 1e-3
