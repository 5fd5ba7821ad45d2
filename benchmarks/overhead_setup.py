"""Data, models and measurements shared by the step-overhead benchmarks (no flags).

`train_step_overhead.py`, `step_breakdown.py` and `step_cost.py` must measure the very
same plain/RR pair on the very same batches, so all build them here; the tests import
`compiled_step_cost`, `torch_ops_per_step` and `step_variants` too (absl flags can be
defined only once per process, which is why none are defined here).
"""


def blocky_training_data(num_classes, size, count, seed=0):
    """Random images, region-like label maps and region frequencies.

    Args:
        num_classes: int. Number of classes `K`.
        size: int. Square image size (a multiple of 4).
        count: int. Number of images.
        seed: int. NumPy seed. Defaults to `0`.

    Returns:
        `(images, labels, region_frequency)`: float32 `(count, size, size, 3)` in [0, 255),
        int32 `(count, size, size)` and int `(K,)` counts in [1, 1000).

    Example:

    >>> images, labels, freq = blocky_training_data(150, 128, 20)
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, size=(count, size, size, 3)).astype("float32")
    # 4x4 blocks per image: region-like label maps, like real scenes (not per-pixel noise).
    blocks = rng.integers(0, num_classes, size=(count, 4, 4))
    labels = np.kron(blocks, np.ones((size // 4, size // 4), "int64")).astype("int32")
    return images, labels, rng.integers(1, 1000, size=num_classes)


def plain_pair(num_classes, depth, size, model="keras_hub_deeplab_v3_plus", tiny=False):
    """A segmenter (default: KerasHub's DeepLabV3+) and the compiled baseline over its layers.

    The baseline is the same layers in a plain functional model, so both sides go through
    the same Keras `fit` (KerasHub tasks add their own preprocessing wrapper); for a network
    with `paper_networks.wrapper_options` (OCRNet: its FCN head's loss) it is the wrapper
    without the region branch (`compiled_baseline`).

    Args:
        num_classes, depth, size: the network's class count, ResNet depth (KerasHub's
            DeepLabV3+ only) and image size.
        model: str. A name of `benchmarks.paper_networks.PAPER_NETWORKS`.
        tiny: bool. The network at its smallest (tests).

    Returns:
        `(segmenter, plain)`: the segmenter (to wrap) and the compiled baseline.
    """
    from benchmarks.paper_networks import build_network
    from benchmarks.paper_networks import wrapper_options

    segmenter = build_network(model, num_classes, size, depth=depth, tiny=tiny)
    return segmenter, compiled_baseline(segmenter, num_classes, wrapper_options(model))


def compiled_baseline(segmenter, num_classes, options=None, name="plain"):
    """The baseline RR is compared with: `compiled_plain`, or with wrapper `options` (e.g.
    `{"auxiliary_head": True}`) the `RegionRebalanceSegmenter` without its region branch.

    Example:

    >>> plain = compiled_baseline(ocr_net, 150, {"auxiliary_head": True})
    """
    if not options:
        return compiled_plain(segmenter, name)
    return compiled_wrapper(segmenter, num_classes, None, region_branch=False, name=name, **options)


def compiled_plain(segmenter, name="plain"):
    """A plain functional `keras.Model` over `segmenter`'s layers, compiled with pixel CE."""
    import keras

    plain = keras.Model(segmenter.inputs, segmenter.outputs, name=name)
    plain.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    )
    return plain


def compiled_wrapper(segmenter, num_classes, region_frequency, **kwargs):
    """`RegionRebalanceSegmenter` over `segmenter`, compiled like the plain baseline."""
    import keras

    import keras_rr

    model = keras_rr.models.RegionRebalanceSegmenter(
        segmenter, num_classes, region_frequency=region_frequency, **kwargs
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))
    return model


STEP_VARIANTS = ("plain_twin", "rr", "rr_pixel_only", "rr_one_hot", "rr_all_regions")


def step_variants(segmenter, num_classes, region_frequency, variants=STEP_VARIANTS, max_regions_per_image=None,
                  wrapper_options=None):
    """The plain baseline and RR wrappers that each differ from the default in one part.

    - `plain_twin`: a second plain model over the same layers, compiled on its own. Its
      ratio to `plain` is the noise floor: what two separately compiled (on GPU:
      separately autotuned) programs of one graph differ by.
    - `rr`: the default wrapper, as users run it.
    - `rr_pixel_only`: the wrapper with the region term removed (dict outputs, custom
      `compute_loss`, label standardisation and loss trackers only).
    - `rr_one_hot`: region pooling as a one-hot matmul instead of a segment sum.
    - `rr_all_regions`: the wrapper classifying all K region slots of every image
      (`max_regions_per_image=None`), whatever `max_regions_per_image` the others use.

    Args:
        segmenter: the segmenter every model shares (e.g. `plain_pair(...)[0]`).
        num_classes: int. Number of classes `K`.
        region_frequency: F(k) for the wrappers.
        variants: names from `STEP_VARIANTS` to build.
        max_regions_per_image: int or None. The region slots per image of the RR
            variants (None: all K). Defaults to `None`.
        wrapper_options: dict or None. `RegionRebalanceSegmenter` options of the
            baseline and of every RR variant (`paper_networks.wrapper_options`: OCRNet's
            `auxiliary_head=True`); with any, `plain` / `plain_twin` are the wrapper
            without its region branch. Defaults to `None`.

    Returns:
        Dict name -> compiled model, always with `"plain"`; all share the same layers.

    Example:

    >>> segmenter, _ = plain_pair(150, 18, 128)
    >>> models = step_variants(segmenter, 150, freq, ["rr"])  # {"plain": ..., "rr": ...}
    """
    from keras import ops

    unknown = set(variants) - set(STEP_VARIANTS)
    if unknown:
        raise ValueError(f"Unknown variants {sorted(unknown)}; expected some of {STEP_VARIANTS}.")
    options = dict(wrapper_options or {})
    rr = dict(max_regions_per_image=max_regions_per_image, **options)
    models = {"plain": compiled_baseline(segmenter, num_classes, options)}
    if "plain_twin" in variants:
        models["plain_twin"] = compiled_baseline(segmenter, num_classes, options, "plain_twin")
    if "rr" in variants:
        models["rr"] = compiled_wrapper(segmenter, num_classes, region_frequency, **rr)
    if "rr_pixel_only" in variants:
        model = compiled_wrapper(segmenter, num_classes, region_frequency, **rr)
        # Instance override of the head's `call`: the traced step then has no region
        # branch at all (the head still exists, so the state is the RR model's).
        model.region_head.call = lambda features, labels, sample_weight=None, training=None: (
            ops.zeros(()), ops.zeros(()), ops.zeros(())
        )
        models["rr_pixel_only"] = model
    if "rr_one_hot" in variants:
        models["rr_one_hot"] = compiled_wrapper(
            segmenter, num_classes, region_frequency, pooling_method="one_hot", **rr
        )
    if "rr_all_regions" in variants:
        models["rr_all_regions"] = compiled_wrapper(
            segmenter, num_classes, region_frequency, max_regions_per_image=None, **options
        )
    return models


def compiled_step_cost(model, images, labels):
    """XLA cost and memory figures of `model`'s compiled JAX training step.

    Args:
        model: a compiled `keras.Model` (plain or `RegionRebalanceSegmenter`).
        images, labels: one batch.

    Returns:
        Dict with `flops`, `bytes` (bytes accessed), `temp_bytes` (temporary buffers),
        `state_arrays` (arrays passed in and out of every step) and `compile_s`.

    Example:

    >>> compiled_step_cost(plain, images[:4], labels[:4])["bytes"]
    """
    import contextlib
    import time

    import jax

    def state():
        return tuple(
            [v.value for v in variables]
            for variables in (
                model.trainable_variables,
                model.non_trainable_variables,
                model.optimizer.variables,
                model.metrics_variables,
            )
        )

    def lower(step_state):
        # `fit` traces the wrapper's step inside this context (call returns logits and
        # features); tracing it outside would measure a different program. Donating
        # the state as `fit` does also gives its buffer reuse; nothing runs, so
        # nothing is actually donated.
        with getattr(model, "_training_outputs", contextlib.nullcontext)():
            return jax.jit(model.train_step, donate_argnums=0).lower(step_state, (images, labels))

    start = time.perf_counter()
    # Only the optimizer slots are missing before a first step: building them instead
    # of running a step saves compiling the step twice (20 s a program on a GPU).
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    step_state = state()
    lowered = lower(step_state)
    if [len(part) for part in state()] != [len(part) for part in step_state]:
        # Tracing built more state (e.g. compiled metrics): build it the long way.
        model.train_on_batch(images, labels)
        step_state = state()
        lowered = lower(step_state)
    compiled = lowered.compile()
    compile_s = time.perf_counter() - start
    cost = compiled.cost_analysis()
    if isinstance(cost, (list, tuple)):  # one dict per device in older JAX releases
        cost = cost[0]
    memory = compiled.memory_analysis()
    return {
        "flops": float(cost.get("flops", float("nan"))),
        "bytes": float(cost.get("bytes accessed", float("nan"))),
        "temp_bytes": float(getattr(memory, "temp_size_in_bytes", float("nan"))),
        "state_arrays": sum(len(part) for part in step_state),
        "compile_s": compile_s,
    }


def torch_ops_per_step(model, images, labels, batch_size):
    """PyTorch operator calls one eager training step of `model` makes (torch backend).

    Keras runs torch eagerly, so a step costs host time per operator call whatever the
    tensor sizes, and a large model's step on a fast GPU is bound by it. The count is
    exact and the same on every run and device, unlike a timing: the operator calls
    `torch.profiler` records (nested ones included) in `fit` over 3 steps minus those
    over 1 step, halved, so once-per-`fit` work (data adapter, metric resets) cancels.

    Args:
        model: a compiled `keras.Model` (plain or `RegionRebalanceSegmenter`).
        images, labels: at least 3 batches.
        batch_size: int.

    Returns:
        float: operator calls per training step (forward, backward, optimizer, metrics).

    Example:

    >>> torch_ops_per_step(plain, images, labels, 2)   # e.g. 5506.0
    """
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile

    def operator_calls(steps):
        n = steps * batch_size
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model.fit(images[:n], labels[:n], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        return sum(event.count for event in prof.key_averages() if event.key.startswith("aten::"))

    if len(images) < 3 * batch_size:
        raise ValueError(f"Need 3 batches of {batch_size} images. Received: {len(images)} images.")
    # A first step builds the optimizer slots and metrics, which later steps do not do.
    model.fit(images[:batch_size], labels[:batch_size], batch_size=batch_size, epochs=1, verbose=0)
    return (operator_calls(3) - operator_calls(1)) / 2
