"""BLV: Balancing Logit Variation (Wang et al., CVPR 2023) as a pixel cross-entropy.

During training each logit is perturbed by class-dependent noise,
`z_c + |clip(eps, -1, 1)| * (log n_max - log n_c) / (log n_max - log n_min)`,
`eps ~ N(0, sigma^2)` per pixel and class, `n_c` the training pixel count of class `c`:
the most frequent class is never perturbed, the rarest by up to 1. Absent classes
(`n_c = 0`) are clamped to 1 pixel, so they count as the rarest (and `log 0` never
appears). If all counts are equal the perturbation is 0 (plain cross-entropy).

A Keras `Loss` has no `training` flag: `BLVCrossEntropy` always perturbs, and is meant
to be used only as the *training* loss. Evaluation metrics (mIoU) read the model's own
logits, never the loss, so predictions are unaffected; only the loss value that
`evaluate` reports is a noisy one.

Randomness: the loss holds a `keras.random.SeedGenerator` (`seed_generator`) and draws
with `keras.random.normal`. JAX train steps are stateless: only the model's variables
are threaded through them, so a generator held by the loss alone would draw the same
noise at every step. `track_loss_seed_generator(model, loss)` lists it among the model's
seed generators, so its state is carried and advanced like a dropout layer's (and
checkpointed with them); `RegionRebalanceSegmenter.compile` and
`keras_rr.training.Variant.compile_model` call it. Compiling a plain Keras model
yourself, call it after `compile`.
"""

import keras
import numpy as np
from keras import ops

from keras_rr import validation


def blv_scale(pixel_counts):
    """Per-class noise scale `(log n_max - log n_c) / (log n_max - log n_min)`, in [0, 1].

    Counts of 0 are clamped to 1. All-equal counts give zeros.

    Args:
        pixel_counts: array-like `(K,)` of non-negative pixel counts.

    Returns:
        float32 NumPy array `(K,)`.

    Example:

    >>> blv_scale([100, 10, 1])  # [0.0, 0.5, 1.0]
    """
    counts = validation.check_counts(pixel_counts, "pixel_counts")
    log_counts = np.log(np.maximum(counts, 1.0))
    spread = float(log_counts.max() - log_counts.min())
    if spread == 0.0:
        return np.zeros_like(log_counts, dtype="float32")
    return ((log_counts.max() - log_counts) / spread).astype("float32")


def blv_logits(logits, pixel_counts, noise):
    """The perturbed logits `logits + |clip(noise, -1, 1)| * blv_scale(pixel_counts)`.

    Args:
        logits: float tensor `(..., K)`.
        pixel_counts: array-like `(K,)`.
        noise: float tensor broadcastable to `logits` (`eps`, already times sigma).

    Returns:
        float32 tensor, the shape of `logits`.
    """
    logits = ops.cast(ops.convert_to_tensor(logits), "float32")
    scale = ops.convert_to_tensor(blv_scale(pixel_counts))
    return logits + ops.abs(ops.clip(ops.cast(noise, "float32"), -1.0, 1.0)) * scale


@keras.saving.register_keras_serializable(package="keras_rr")
class BLVCrossEntropy(keras.losses.Loss):
    """Pixel cross-entropy on BLV-perturbed logits (a training loss; see the module doc).

    Averaged over the labeled pixels (0 if none).

    Args:
        pixel_counts: array-like `(K,)` of training pixel counts per class.
        sigma: float. Standard deviation of the noise before clipping. Defaults to `4.0`.
        ignore_class: int or None. Defaults to `255`.
        seed: int or None. Seed of the loss' `SeedGenerator`. Defaults to `None`.
        noise: None or a fixed noise array broadcastable to the logits (tests and
            ablations); None draws `N(0, sigma^2)` each call. Defaults to `None`.
        reduction: str. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"blv_cross_entropy"`.
        dtype: loss dtype. Defaults to `None`.

    Example:

    >>> loss = keras_rr.losses.BLVCrossEntropy(stats.pixel_counts, seed=0)
    >>> wrapper.compile(optimizer="sgd", loss=loss)
    """

    def __init__(
        self, pixel_counts, sigma=4.0, ignore_class=255, seed=None, noise=None,
        reduction="sum_over_batch_size", name="blv_cross_entropy", dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.pixel_counts = validation.check_counts(pixel_counts, "pixel_counts").tolist()
        self.sigma = validation.check_number(sigma, "sigma", minimum=0.0)
        self.ignore_class = validation.check_ignore_class(ignore_class)
        self.seed = seed
        self.noise = None if noise is None else np.asarray(noise, "float32")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, y_true, y_pred):
        logits = ops.cast(ops.convert_to_tensor(y_pred), "float32")
        if self.noise is not None:
            noise = self.noise
        else:
            noise = keras.random.normal(ops.shape(logits), stddev=self.sigma, seed=self.seed_generator)
        perturbed = blv_logits(logits, self.pixel_counts, noise)
        # Keras' sparse cross-entropy masks ignored pixels, so the reduction averages
        # over the labeled ones (as `BalancedSoftmaxCrossEntropy`).
        return keras.losses.sparse_categorical_crossentropy(
            y_true, perturbed, from_logits=True, ignore_class=self.ignore_class
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pixel_counts": self.pixel_counts, "sigma": self.sigma,
                "ignore_class": self.ignore_class, "seed": self.seed,
                "noise": None if self.noise is None else self.noise.tolist(),
            }
        )
        return config


def track_loss_seed_generator(model, loss):
    """Makes `loss.seed_generator` (if any) part of `model`'s state; drops the previous one.

    Needed on JAX (see the module doc); harmless elsewhere. Call after `model.compile`.

    Args:
        model: a built `keras.Model`.
        loss: the compiled loss; anything without a `SeedGenerator` `seed_generator`
            only removes a generator tracked for a previous loss.

    Example:

    >>> model.compile(optimizer="sgd", loss=loss)
    >>> track_loss_seed_generator(model, loss)
    """
    # Kept by id: a SeedGenerator attribute would go through Keras' (locked) tracker.
    previous = getattr(model, "_loss_seed_generator_id", None)
    model._seed_generators[:] = [g for g in model._seed_generators if id(g) != previous]
    generator = getattr(loss, "seed_generator", None)
    if isinstance(generator, keras.random.SeedGenerator):
        model._seed_generators.append(generator)
        model._loss_seed_generator_id = id(generator)
    else:
        model._loss_seed_generator_id = None
