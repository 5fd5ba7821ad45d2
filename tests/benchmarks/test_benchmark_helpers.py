"""The benchmarks' shared helpers: ratio bookkeeping and the step-cost invariants.

Timing itself is never tested (benchmarks report it); what is tested is that the ratio
arithmetic is right, that the RR wrapper compiles to no extra work outside its region
branch (JAX: XLA's cost analysis states it exactly on any device), and that on eager
torch, where a large step is bound by host time per operator call, RR adds a small,
fixed number of operator calls.
"""

import itertools

import keras
import numpy as np
import pytest

from benchmarks import timing
from benchmarks.overhead_setup import blocky_training_data
from benchmarks.overhead_setup import compiled_step_cost
from benchmarks.overhead_setup import step_variants
from benchmarks.overhead_setup import torch_ops_per_step
from tests.harness import BACKEND
from tests.harness import xla_optimizations
from tests.tiny_models import keras_hub_deeplab_v3


def test_interleaved_ratios_pairs_each_candidate_with_the_baseline_of_its_round():
    base_times = itertools.cycle([1.0, 2.0, 4.0])  # rounds with different loads
    fast = iter([1.1, 2.2, 4.4])  # 1.1x the baseline of its own round
    twin = iter([0.5, 4.0, 4.0])  # ratios 0.5, 2.0, 1.0 -> median 1.0
    ratios, seconds, base = timing.interleaved_ratios(
        {"fast": lambda: next(fast), "twin": lambda: next(twin)}, lambda: next(base_times), repeats=3
    )
    np.testing.assert_allclose(ratios["fast"], 1.1)
    np.testing.assert_allclose(ratios["twin"], 1.0)
    assert seconds == {"fast": 2.2, "twin": 4.0}
    assert base == 2.0
    ratios, seconds, base = timing.interleaved_ratios({"c": lambda: 3.0}, lambda: 2.0, repeats=2)
    assert (ratios["c"], seconds["c"], base) == (1.5, 3.0, 2.0)


def test_interleaved_ratios_rotates_which_entry_is_timed_first():
    calls = []

    def clock(name):
        return lambda: calls.append(name) or 1.0

    timing.interleaved_ratios({"a": clock("a"), "b": clock("b")}, clock("base"), repeats=3)
    assert calls == ["base", "a", "b", "a", "b", "base", "b", "base", "a"]


def test_step_variants_rejects_unknown_names():
    with pytest.raises(ValueError, match="Unknown variants"):
        step_variants(None, 5, np.ones(5), ["rr", "rr_fast"])


@pytest.mark.skipif(BACKEND != "jax", reason="XLA cost analysis of the jitted step is read on JAX")
def test_wrapper_adds_no_work_outside_the_region_branch():
    k, batch, size = 64, 2, 64
    images, labels, _ = blocky_training_data(k, size, batch)
    models = step_variants(keras_hub_deeplab_v3(k), k, np.arange(1, k + 1), ["rr", "rr_pixel_only"])
    with xla_optimizations():  # the optimised program is what runs and what the benchmark reports
        cost = {name: compiled_step_cost(model, images, labels) for name, model in models.items()}
    plain, pixel_only, rr = cost["plain"], cost["rr_pixel_only"], cost["rr"]

    # Outside the region branch the wrapper may add label standardisation and masking
    # (a few ops per label pixel) and the SGD update of the (unused) region classifier,
    # but no pass over the K-channel logits: one would add >= K = 64 flops and 4K bytes
    # per pixel, above these allowances.
    pixels = batch * size * size
    classifier_params = sum(int(np.prod(v.shape)) for v in models["rr"].region_classifier.weights)
    assert pixel_only["flops"] - plain["flops"] <= 32 * pixels + 8 * classifier_params
    assert pixel_only["bytes"] - plain["bytes"] <= 32 * pixels + 16 * classifier_params
    # The region branch is there (pooling, classifier, loss and their gradients) ...
    assert rr["flops"] - pixel_only["flops"] >= 2 * batch * k * classifier_params
    # ... and its state is the classifier (kernel, bias, their momenta), 2 loss trackers
    # and the out-of-range pixel count.
    assert rr["state_arrays"] == plain["state_arrays"] + 9


@pytest.mark.skipif(BACKEND != "jax", reason="XLA cost analysis of the jitted step is read on JAX")
def test_compiled_step_cost_builds_state_that_tracing_creates():
    # Compiled metrics are built by the first step, inside the trace: the helper must
    # notice and measure the step with that state, as after a real first step.
    from tests.tiny_models import functional_segmenter

    def model():
        m = functional_segmenter(5)
        m.compile(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return m

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(2, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 5, size=(2, 32, 32)).astype("int32")
    fresh = model()
    trained = model()
    trained.train_on_batch(images, labels)
    with xla_optimizations():
        fresh_cost = compiled_step_cost(fresh, images, labels)
        trained_cost = compiled_step_cost(trained, images, labels)
    for key in ("flops", "bytes", "temp_bytes", "state_arrays"):
        assert fresh_cost[key] == trained_cost[key], key
    assert len(fresh.metrics_variables) == 4  # loss and accuracy trackers, built by the helper
    parts = (fresh.trainable_variables, fresh.non_trainable_variables, fresh.optimizer.variables, fresh.metrics_variables)
    assert fresh_cost["state_arrays"] == sum(len(part) for part in parts)


@pytest.mark.skipif(BACKEND != "torch", reason="eager operator calls are a torch question")
def test_wrapper_adds_a_fixed_number_of_torch_operator_calls():
    added = {}
    for k in (8, 64):
        images, labels, _ = blocky_training_data(k, 64, 6)
        models = step_variants(keras_hub_deeplab_v3(k), k, np.arange(1, k + 1), ["rr", "rr_pixel_only"])
        calls = {name: torch_ops_per_step(model, images, labels, batch_size=2) for name, model in models.items()}
        added[k] = {name: calls[name] - calls["plain"] for name in ("rr", "rr_pixel_only")}
    # Measured with Keras 3.15 / torch 2.13: 98 calls outside the region branch (labels,
    # pixel-loss masking, two loss trackers, 24 of them for the out-of-range pixel count)
    # and 404-406 in all; a ResNet-50 step makes about 15,500. The ceilings leave room for
    # library drift, not for a new pass.
    for k in (8, 64):
        assert 0 < added[k]["rr_pixel_only"] <= 120, added
        assert added[k]["rr_pixel_only"] + 150 <= added[k]["rr"] <= 430, added
    # Nothing in the step loops over classes or regions in Python: 8 times as many
    # classes (56 more) would add at least 56 calls to such a loop.
    assert abs(added[64]["rr"] - added[8]["rr"]) <= 8, added
