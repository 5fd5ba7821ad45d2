"""`LayerDecayAdamW`: AdamW with mmseg's layer-wise learning-rate decay for BEiT-style networks."""

import re

import keras
from keras import ops

from keras_rr import validation
from keras_rr.optimizers.weight_decay_exclusions import WeightDecayExclusions

# A transformer block of a BEiT-style backbone: `layers.{i}` in the variable path (layer
# names spell mmseg's dots as "-": `layers-3/attn/qkv/kernel`).
_BLOCK = re.compile(r"(?:^|[./-])layers[.-](\d+)[./-]")
_EMBEDDING = re.compile(r"(?:^|[./-])(?:patch_embed[^/]*/|(?:cls_token|mask_token|pos_embed)(?:/|$))")


def layer_ids(paths):
    """mmseg's layer number of every variable path, and the number of blocks `L`.

    mmseg's `get_layer_id_for_vit` (`LearningRateDecayOptimizerConstructor`,
    `decay_type="layer_wise_vit"`): `cls_token`, `mask_token`, `pos_embed` and
    `patch_embed.*` are layer 0, block `layers.{i}` is layer `i + 1`, everything else
    (the neck and heads, training branches included) is layer `L + 1`. The blocks are
    found by name (`layers-{i}` or `layers.{i}` in the path, the torch-checkpoint naming
    contract of `keras_rr.models.beit_backbone`); `L` is the largest block index plus 1.

    Args:
        paths: list of str, the variables' `path`s.

    Returns:
        `(ids, L)`: a list of ints, one per path, and the number of blocks.

    Raises:
        ValueError: no path names a block (a network this rule cannot number).

    Example:

    >>> layer_ids(["cls_token/cls_token", "layers-0/ln1/gamma", "layers-1/attn/q_bias", "neck-upsample_2x-0/kernel"])
    ([0, 1, 2, 3], 2)
    """
    paths = [str(p) for p in paths]
    blocks = [_BLOCK.search(p) for p in paths]
    found = [int(m.group(1)) for m in blocks if m]
    if not found:
        raise ValueError(
            "Layer-wise learning-rate decay numbers a network's layers by its BEiT-style block names "
            "(`layers-{i}/...` in the variable paths, as `keras_rr.models.beit_backbone` names them); "
            f"none of these variables has one. Received paths (first 5): {paths[:5]}"
        )
    num_layers = max(found) + 1
    ids = []
    for path, block in zip(paths, blocks):
        if _EMBEDDING.search(path) and not block:
            ids.append(0)
        elif block:
            ids.append(int(block.group(1)) + 1)
        else:
            ids.append(num_layers + 1)
    return ids, num_layers


def layer_decay_scales(paths, layer_decay):
    """The learning-rate scale of every variable path: `layer_decay ** (L + 1 - layer id)`.

    Args:
        paths: list of str, the variables' `path`s (see `layer_ids`).
        layer_decay: float in (0, 1]. mmseg's `decay_rate` (BEiT-L: 0.95, BEiT-B: 0.9).

    Returns:
        list of floats, one per path.

    Example:

    >>> layer_decay_scales(["layers-0/ln1/gamma", "decode_head/kernel"], 0.9)
    [0.9, 1.0]
    """
    layer_decay = validation.check_number(layer_decay, "layer_decay", minimum=0.0, maximum=1.0, min_inclusive=False)
    ids, num_layers = layer_ids(paths)
    return [float(layer_decay ** (num_layers + 1 - i)) for i in ids]


def decays_weight(variable):
    """mmseg's rule: no weight decay on 1-D parameters (biases, norm scales, layer scales).

    (mmseg also exempts parameters named exactly `cls_token` / `pos_embed`, but compares
    the full name, `backbone.cls_token`, so BEiT's 3-D class token is decayed there and
    here.)
    """
    return len(variable.shape) > 1 and not variable.path.endswith("bias")


@keras.saving.register_keras_serializable(package="keras_rr")
class LayerDecayAdamW(WeightDecayExclusions, keras.optimizers.Adam):
    """AdamW with layer-wise learning-rate decay: mmseg's `LayerDecayOptimizerConstructor` + AdamW.

    mmseg fine-tunes BEiT with a learning rate that shrinks geometrically towards the
    input: variable `w` of layer id `i` (`layer_ids`: embeddings 0, block `j` is `j + 1`,
    everything after the backbone `L + 1`) trains with `lr * layer_decay ** (L + 1 - i)`
    (`layer_decay_scales`), and gets torch-AdamW's decoupled weight decay
    `w -= scaled_lr * weight_decay * w` unless it is 1-D (biases, norm scales, layer
    scales; `decays_weight`) or excluded with `exclude_from_weight_decay`. The numbering
    is read from the variables' paths when the optimizer is built, so it works for any
    network whose blocks are named `layers-{i}` (`keras_rr.models.beit_backbone`); for
    others building raises a `ValueError`. The Adam update is Keras' (epsilon outside the
    bias-corrected square root; the default epsilon is torch's 1e-8).

    Args:
        learning_rate: float, a `keras.optimizers.schedules.LearningRateSchedule` or a
            callable: the base rate (the heads' rate). Defaults to `0.001`.
        layer_decay: float in (0, 1]. mmseg's `decay_rate` (BEiT-L 0.95, BEiT-B 0.9;
            1.0: no decay). Defaults to `0.9`.
        weight_decay: float >= 0. Decoupled weight decay (torch AdamW's; mmseg's BEiT:
            0.05). Defaults to `0.05`.
        beta_1: float. Defaults to `0.9`.
        beta_2: float. Defaults to `0.999`.
        epsilon: float. Defaults to `1e-8` (torch's).
        name: str. Defaults to `"layer_decay_adamw"`.
        **kwargs: the other `keras.optimizers.Optimizer` arguments (`clipnorm`, ...).

    Example:

    >>> schedule = keras_rr.optimizers.WarmupPolynomialDecay(2e-5, 160_000, power=1.0, warmup_steps=3000)
    >>> optimizer = keras_rr.optimizers.LayerDecayAdamW(schedule, layer_decay=0.95, weight_decay=0.05)
    >>> segmenter.compile(optimizer=optimizer, loss=...)
    """

    def __init__(self, learning_rate=0.001, layer_decay=0.9, weight_decay=0.05, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, name="layer_decay_adamw", **kwargs):
        kwargs.pop("amsgrad", None)
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         weight_decay=None, name=name, **kwargs)
        self.layer_decay = float(
            validation.check_number(layer_decay, "layer_decay", minimum=0.0, maximum=1.0, min_inclusive=False)
        )
        self.decoupled_weight_decay = float(validation.check_number(weight_decay, "weight_decay", minimum=0.0))

    def build(self, variables):
        if self.built:
            return
        self._scales = tuple(layer_decay_scales([v.path for v in variables], self.layer_decay))
        self._decays = tuple(decays_weight(v) and not self.excluded_from_weight_decay(v) for v in variables)
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        learning_rate = ops.cast(learning_rate, variable.dtype) * ops.cast(self._scales[index], variable.dtype)
        if self.decoupled_weight_decay and self._decays[index]:
            # torch's AdamW: `p *= 1 - lr * wd` with the layer's own (scaled) rate.
            weight_decay = ops.cast(self.decoupled_weight_decay, variable.dtype)
            self.assign_sub(variable, variable * (learning_rate * weight_decay))
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad", None)
        config.update({"layer_decay": self.layer_decay, "weight_decay": self.decoupled_weight_decay})
        return config
