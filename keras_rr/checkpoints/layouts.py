"""Recognising a checkpoint's layout from its keys and renaming them to mmseg's segmentor names.

Every checkpoint is brought to the names of a trained mmseg segmentor (`backbone.*`,
`neck.*`, `decode_head.*`, `auxiliary_head.*`), which `keras_names` maps to Keras
variables. The layouts:

- `"mmseg_segmentor"`: keys already carry those prefixes (a model-zoo `.pth`, its
  `state_dict` unwrapped by `reading`; OCRNet's `decode_head.0.` / `decode_head.1.`).
- `"timm_resnet"`: timm's ResNet-c (`resnet50c`...): the deep stem `conv1.0/.1/.3/.4/.6`
  and `bn1` become mmcv's `stem.0/.1/.3/.4/.6/.7`; `fc` (the classifier) is skipped.
- `"timm_hrnet"`: timm's HRNetV2: mmseg's names already; `incre_modules`,
  `downsamp_modules`, `final_layer`, `classifier` (its classification head) skipped.
- `"timm_beit"`: timm's (and the BEiT release's) BEiT, as mmseg's `beit2mmseg.py`:
  `blocks.i` -> `layers.i`, `norm1/2` -> `ln1/2`, `mlp.fc1` -> `ffn.layers.0.0`,
  `mlp.fc2` -> `ffn.layers.1`, `patch_embed.proj` -> `patch_embed.projection`; a shared
  `rel_pos_bias` table is copied into every block; `norm`, `fc_norm`, `head` skipped.
- `"timm_swin"` / `"swin"` (timm 0.9+, which merges patches at the start of a stage, or
  the original release, at the end): as mmseg's `swin2mmseg.py`: `layers` -> `stages`,
  `attn` -> `attn.w_msa`, `mlp.fc1/fc2` -> `ffn.layers.0.0` / `ffn.layers.1`,
  `patch_embed.proj` -> `patch_embed.projection`, and the patch merging's
  `reduction` / `norm` reordered from the concatenation order (x0, x1, x2, x3) to
  `nn.Unfold`'s; `norm` and `head` (the classifier) skipped.
- `"mmseg_backbone"`: anything else is taken as an mmcv / mmseg backbone already
  (mmcv's ResNetV1c `stem.*`, mmseg's converted BEiT / Swin / HRNet); a classifier
  (`fc.*`, `head.*`) is skipped. (An mmcls / mmpretrain classifier checkpoint,
  `backbone.*` + `head.*`, reads as a segmentor whose `head` the model lacks.)

Backbone layouts get the `backbone.` prefix. Buffers derived from shapes
(`num_batches_tracked`, `relative_position_index`, `attn_mask`) are skipped everywhere.
"""

import re

import numpy as np

SEGMENTOR_PREFIXES = ("backbone.", "neck.", "decode_head.", "auxiliary_head.")
# Buffers a model derives from its shapes, never weights: skipped in every layout.
DERIVED_BUFFERS = ("num_batches_tracked", "relative_position_index", "attn_mask")
_CLASSIFIER = "the backbone's classification head"


def normalise(state):
    """`state` renamed to mmseg segmentor names.

    Args:
        state: dict `{name: np.ndarray}` (from `reading.read_state_dict`).

    Returns:
        `(layout, renamed, skipped)`: the layout's name (see the module docstring),
        `{mmseg name: array}`, and `{original key: why it is skipped}`.

    Example:

    >>> layout, renamed, skipped = normalise({"conv1.0.weight": w, "bn1.weight": g, "fc.weight": f})
    >>> layout, sorted(renamed), skipped
    ('timm_resnet', ['backbone.stem.0.weight', 'backbone.stem.7.weight'], {'fc.weight': "..."})
    """
    layout = recognise(state)
    skipped, kept = {}, {}
    for key, value in state.items():
        if key.split(".")[-1] in DERIVED_BUFFERS:
            skipped[key] = "a buffer derived from shapes"
        else:
            kept[key] = value
    rename = _RENAMERS[layout]
    renamed = {}
    for key, value in kept.items():
        result = rename(key, value, kept)
        if isinstance(result, str):  # the reason it is skipped
            skipped[key] = result
            continue
        for new_key, new_value in result:
            renamed[new_key] = new_value
    if layout != "mmseg_segmentor":
        renamed = {"backbone." + key: value for key, value in renamed.items()}
    return layout, renamed, skipped


def recognise(state):
    """The layout name of a state dict, from its keys (see the module docstring)."""
    keys = set(state)
    if any(key.startswith(SEGMENTOR_PREFIXES) for key in keys):
        return "mmseg_segmentor"
    if "conv1.0.weight" in keys and "bn1.weight" in keys:
        return "timm_resnet"
    if any(key.startswith(("incre_modules.", "downsamp_modules.", "final_layer.")) for key in keys):
        return "timm_hrnet"
    if any(key.startswith("blocks.") for key in keys) and "patch_embed.proj.weight" in keys:
        return "timm_beit"
    if any(key.startswith("layers.") and ".blocks." in key for key in keys):
        # The original Swin merges patches at the end of stage 0; timm 0.9+ at the start of stage 1.
        return "swin" if "layers.0.downsample.reduction.weight" in keys else "timm_swin"
    return "mmseg_backbone"


def _as_is(key, value, state):
    return [(key, value)]


def _mmseg_backbone(key, value, state):
    # A classification network's head (mmcv / torchvision `fc`, mmcls `head`): no mmseg
    # backbone has a module of those names.
    if key.startswith(("fc.", "head.")):
        return _CLASSIFIER
    return [(key, value)]


def _timm_resnet(key, value, state):
    if key.startswith("fc."):
        return _CLASSIFIER
    match = re.match(r"conv1\.([0-9])\.(.*)", key)
    if match:
        return [(f"stem.{match.group(1)}.{match.group(2)}", value)]
    if key.startswith("bn1."):
        return [("stem.7." + key[len("bn1."):], value)]
    return [(key, value)]


def _timm_hrnet(key, value, state):
    if key.startswith(("incre_modules.", "downsamp_modules.", "final_layer.", "classifier.")):
        return _CLASSIFIER
    return [(key, value)]


def _timm_beit(key, value, state):
    if key.startswith(("head.", "fc_norm.", "norm.")):
        return _CLASSIFIER
    if key == "rel_pos_bias.relative_position_bias_table":
        # A table shared by all blocks (BEiT's `use_shared_rel_pos_bias`): mmseg's BEiT
        # gives every block its own copy.
        blocks = sorted({int(k.split(".")[1]) for k in state if k.startswith("blocks.")})
        return [(f"layers.{i}.attn.relative_position_bias_table", value) for i in blocks]
    if key.startswith("blocks."):
        key = "layers." + key[len("blocks."):]
        key = re.sub(r"\.norm([12])\.", r".ln\1.", key)
        key = key.replace(".mlp.fc1.", ".ffn.layers.0.0.").replace(".mlp.fc2.", ".ffn.layers.1.")
        return [(key, value)]
    return [(key.replace("patch_embed.proj.", "patch_embed.projection."), value)]


def _swin(merge_at_start):
    def rename(key, value, state):
        if key.startswith(("head.", "norm.")):
            return _CLASSIFIER
        if key.startswith("patch_embed.proj."):
            return [(key.replace("patch_embed.proj.", "patch_embed.projection."), value)]
        match = re.match(r"layers\.(\d+)\.downsample\.(reduction|norm)\.(weight|bias)$", key)
        if match:
            stage = int(match.group(1)) - (1 if merge_at_start else 0)
            reorder = unfold_order_matrix if match.group(2) == "reduction" else unfold_order_vector
            return [(f"stages.{stage}.downsample.{match.group(2)}.{match.group(3)}", reorder(value))]
        if key.startswith("layers."):
            key = "stages." + key[len("layers."):]
            key = key.replace(".attn.", ".attn.w_msa.")
            key = key.replace(".mlp.fc1.", ".ffn.layers.0.0.").replace(".mlp.fc2.", ".ffn.layers.1.")
        return [(key, value)]

    return rename


def unfold_order_matrix(weight):
    """A patch merging's `reduction` weight `(out, 4C)` from concatenation order to `nn.Unfold`'s.

    The original Swin (and timm, KerasHub) concatenate the four neighbours as
    `x0 = x[0::2, 0::2], x1 = x[1::2, 0::2], x2 = x[0::2, 1::2], x3 = x[1::2, 1::2]`
    (input index `k * C + c`); mmseg's `PatchMerging` unfolds 2x2 patches channel-major
    (index `c * 4 + 2 * dy + dx`). mmseg's `correct_unfold_reduction_order`.
    """
    out_channels, in_channels = weight.shape
    weight = weight.reshape(out_channels, 4, in_channels // 4)[:, [0, 2, 1, 3], :]
    return np.ascontiguousarray(weight.transpose(0, 2, 1).reshape(out_channels, in_channels))


def unfold_order_vector(vector):
    """A patch merging's `norm` weight or bias `(4C,)` from concatenation order to `nn.Unfold`'s."""
    vector = vector.reshape(4, -1)[[0, 2, 1, 3], :]
    return np.ascontiguousarray(vector.transpose(1, 0).reshape(-1))


def concatenation_order_matrix(weight):
    """The inverse of `unfold_order_matrix`: mmseg's `reduction` weight in concatenation order."""
    out_channels, in_channels = weight.shape
    weight = weight.reshape(out_channels, in_channels // 4, 4).transpose(0, 2, 1)[:, [0, 2, 1, 3], :]
    return np.ascontiguousarray(weight.reshape(out_channels, in_channels))


def concatenation_order_vector(vector):
    """The inverse of `unfold_order_vector`."""
    vector = vector.reshape(-1, 4).transpose(1, 0)[[0, 2, 1, 3], :]
    return np.ascontiguousarray(vector.reshape(-1))


_RENAMERS = {
    "mmseg_segmentor": _as_is,
    "mmseg_backbone": _mmseg_backbone,
    "timm_resnet": _timm_resnet,
    "timm_hrnet": _timm_hrnet,
    "timm_beit": _timm_beit,
    "timm_swin": _swin(merge_at_start=True),
    "swin": _swin(merge_at_start=False),
}
LAYOUTS = tuple(_RENAMERS)
