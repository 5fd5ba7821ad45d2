"""The mmseg name of every Keras variable, and how a torch array becomes its value.

The naming contract (every network part written for it):

- a backbone is a functional `keras.Model` nested in the segmenter, its layers named by
  mmseg's module paths relative to the backbone (`stem.0`, `layer1.0.conv1`): its
  variables are `backbone.<layer name>.<parameter>`; a model that *is* a backbone
  (no head layers) is read the same way;
- heads and necks built in the segmenter's graph name their layers with the full mmseg
  path (`decode_head.1.bottleneck.conv`, `neck.fpn1.0`): their variables are
  `<layer name>.<parameter>`;
- a layer holding several torch parameters names its sub-layers and variables as torch
  does: the Keras variable path with `/` read as `.` is the torch key.

Layer names may join the path with `-` instead of `.` (`stem-0`, `decode_head-conv_seg`):
Keras' torch backend registers every variable under its path in a
`torch.nn.ParameterDict`, whose keys cannot contain `.` (Keras 3.15: a layer named
`stem.0` fails to build on torch). No torch module name contains `-`, so both read as
`.`; use `-` for networks that must run on the torch backend.

Keras parameter names are translated (`kernel` -> `weight`, `gamma` -> `weight`,
`beta` -> `bias`, `moving_mean` -> `running_mean`, `moving_variance` -> `running_var`);
every other name (`relative_position_bias_table`, `gamma_1`, `q_bias`, `cls_token`) is
torch's already.

The parts written before the contract get explicit tables (`HEAD_RULES` for the
`uper_head`, `psp_head` and `depthwise_separable_aspp_head` layer names, `AUXILIARY_RULES`
for `AuxiliaryFCNHead`, `SWIN_RULES` for KerasHub's Swin inside
`SwinTransformerPyramid`).

Values: a conv kernel `(O, I, kh, kw)` -> `(kh, kw, I, O)`; a depthwise kernel
`(C, 1, kh, kw)` -> `(kh, kw, C, 1)`; a transposed-conv kernel `(I, O, kh, kw)` ->
`(kh, kw, O, I)`; a Linear weight `(O, I)` -> `(I, O)`; everything else as it is.
"""

import dataclasses
import re

import keras
import numpy as np

from keras_rr.checkpoints import layouts
from keras_rr.networks.backbones.swin_transformer_pyramid import SwinTransformerPyramid
from keras_rr.networks.layers.module_paths import torch_module_path
from keras_rr.networks.decode_heads.auxiliary_fcn_head import AuxiliaryFCNHead

PARAMETER_NAMES = {
    "kernel": "weight",
    "bias": "bias",
    "gamma": "weight",
    "beta": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}
SEGMENTOR_PREFIXES = layouts.SEGMENTOR_PREFIXES

# Weights a segmentation backbone adds to the classification network its pretrained
# checkpoints come from: mmseg Swin's per-stage output norms (`norm0`..`norm3`; mmseg
# initialises them to 1 / 0 as Keras does). A backbone checkpoint (any layout but a whole
# segmentor) lacking them is not missing anything; they keep their values.
ADDED_BY_SEGMENTATION = (r"backbone\.norm\d+\.(weight|bias)",)

# Legacy decode-head layer names (top level of the segmenter) -> mmseg `decode_head.` paths.
# `psp_{scale}` becomes `psp_modules.{index}.1` (index of the scale, ascending as mmseg's
# `pool_scales`), filled in by `_head_name`.
HEAD_RULES = (
    (r"lateral_(\d+)_(conv|bn)", r"lateral_convs.\1.\2"),
    (r"psp_(\d+)_(conv|bn)", r"psp_modules.{psp}.1.\2"),
    (r"psp_bottleneck_(conv|bn)", r"bottleneck.\1"),
    (r"fpn_bottleneck_(conv|bn)", r"fpn_bottleneck.\1"),
    (r"fpn_(\d+)_(conv|bn)", r"fpn_convs.\1.\2"),
    (r"aspp_pool_(conv|bn)", r"image_pool.1.\1"),
    (r"aspp_0_(conv|bn)", r"aspp_modules.0.\1"),
    (r"aspp_(\d+)_depthwise", r"aspp_modules.\1.depthwise_conv.conv"),
    (r"aspp_(\d+)_depthwise_bn", r"aspp_modules.\1.depthwise_conv.bn"),
    (r"aspp_(\d+)_pointwise_(conv|bn)", r"aspp_modules.\1.pointwise_conv.\2"),
    (r"aspp_bottleneck_(conv|bn)", r"bottleneck.\1"),
    (r"low_level_(conv|bn)", r"c1_bottleneck.\1"),
    (r"decoder_(\d+)_depthwise", r"sep_bottleneck.\1.depthwise_conv.conv"),
    (r"decoder_(\d+)_depthwise_bn", r"sep_bottleneck.\1.depthwise_conv.bn"),
    (r"decoder_(\d+)_pointwise_(conv|bn)", r"sep_bottleneck.\1.pointwise_conv.\2"),
    (r"classifier", r"conv_seg"),
)
# `AuxiliaryFCNHead` sub-layers -> mmseg `auxiliary_head.` (`FCNHead`) paths.
AUXILIARY_RULES = (
    (r"conv_(\d+)_(conv|bn)", r"convs.\1.\2"),
    (r"classifier", r"conv_seg"),
)
# KerasHub `SwinTransformerBackbone` variable paths (inside `SwinTransformerPyramid`) ->
# mmseg `SwinTransformer` (`backbone.`) paths; None: no mmseg counterpart (kept as is).
SWIN_RULES = (
    (r"patch_embedding\.conv_projection", r"patch_embed.projection"),
    (r"patch_embedding\.norm", r"patch_embed.norm"),
    (r"stage_(\d+)\.blocks_(\d+)\.(norm1|norm2)", r"stages.\1.blocks.\2.\3"),
    (r"stage_(\d+)\.blocks_(\d+)\.attn", r"stages.\1.blocks.\2.attn.w_msa"),  # the bias table
    (r"stage_(\d+)\.blocks_(\d+)\.attn\.attention_qkv", r"stages.\1.blocks.\2.attn.w_msa.qkv"),
    (r"stage_(\d+)\.blocks_(\d+)\.attn\.attention_projection", r"stages.\1.blocks.\2.attn.w_msa.proj"),
    (r"stage_(\d+)\.blocks_(\d+)\.mlp\.fc1", r"stages.\1.blocks.\2.ffn.layers.0.0"),
    (r"stage_(\d+)\.blocks_(\d+)\.mlp\.fc2", r"stages.\1.blocks.\2.ffn.layers.1"),
    (r"stage_(\d+)\.downsample\.(reduction|norm)", r"stages.\1.downsample.\2"),
    (r"{pyramid}\.norm(\d+)", r"norm\1"),
    (r"norm", None),  # KerasHub's final norm (its classifier's): mmseg's Swin has none
)


@dataclasses.dataclass
class Binding:
    """One Keras variable and the torch key it takes its value from.

    Attributes:
        variable: the `keras.Variable`.
        key: str. Its mmseg segmentor name, e.g. `"decode_head.conv_seg.weight"`.
        convert: callable: torch array -> the variable's value (Keras layout).
        scope: str. Its top-level mmseg module: `"backbone"`, `"neck"`,
            `"decode_head"` or `"auxiliary_head"`.
    """

    variable: object
    key: str
    convert: object

    @property
    def scope(self):
        return self.key.split(".", 1)[0]


def keras_bindings(model):
    """The `Binding` of every variable of `model` with an mmseg counterpart, and the rest.

    Args:
        model: a segmenter (functional `keras.Model`), a backbone, a
            `keras_rr.models.RegionRebalanceSegmenter` (its segmenter and auxiliary head;
            the region branch has no torch counterpart) or a
            `keras_rr.models.NormalizedSegmenter` (its inner segmenter).

    Returns:
        `(bindings, kept)`: a list of `Binding`, and the Keras paths of the variables no
        mmseg weight corresponds to (they keep their values).

    Example:

    >>> bindings, kept = keras_bindings(uper_net_swin(150, variant="micro", image_size=64))
    >>> bindings[-1].key
    'decode_head.conv_seg.bias'
    """
    bindings, kept = [], []
    for kind, root in _roots(model):
        if kind == "auxiliary_head":
            _bind_layer(root, AUXILIARY_RULES, "auxiliary_head.", bindings, kept, strip_own_name=True)
        else:
            _bind_model(root, bindings, kept)
    keys = {}
    for binding in bindings:
        if binding.key in keys:
            raise ValueError(
                f"Two Keras variables map to the torch key {binding.key!r}: {keys[binding.key]} and "
                f"{binding.variable.path}. Rename one of the layers (see the naming contract in "
                "keras_rr.checkpoints.keras_names)."
            )
        keys[binding.key] = binding.variable.path
    # Everything else the model holds (e.g. the Region Rebalance wrapper's region branch).
    bound = {id(binding.variable) for binding in bindings}
    listed = set(kept)
    kept.extend(w.path for w in model.weights if id(w) not in bound and w.path not in listed)
    return bindings, kept


def _roots(model):
    segmenter = getattr(model, "segmenter", None)
    if isinstance(segmenter, keras.Model):  # the Region Rebalance wrapper
        yield from _roots(segmenter)
        if isinstance(getattr(model, "auxiliary_head", None), AuxiliaryFCNHead):
            yield "auxiliary_head", model.auxiliary_head
        return
    inner = getattr(model, "inner", None)
    if isinstance(inner, keras.Model):  # NormalizedSegmenter
        yield from _roots(inner)
        return
    yield "model", model


def _bind_model(model, bindings, kept):
    layers = list(getattr(model, "layers", []))
    scales = sorted(int(m.group(1)) for layer in layers for m in [re.fullmatch(r"psp_(\d+)_conv", layer.name)] if m)
    is_backbone = not any(
        isinstance(layer, keras.Model) or _dotted(layer.name).startswith(SEGMENTOR_PREFIXES)
        or _match(HEAD_RULES, layer.name)
        for layer in layers
    )
    for layer in layers:
        if not layer.weights:
            continue
        if isinstance(layer, (keras.Model, SwinTransformerPyramid)):
            _bind_backbone_layer(layer, bindings, kept)
        elif _dotted(layer.name).startswith(SEGMENTOR_PREFIXES):
            _bind_layer(layer, None, "", bindings, kept)
        elif _match(HEAD_RULES, layer.name):
            psp = re.fullmatch(r"psp_(\d+)_(conv|bn)", layer.name)
            index = str(scales.index(int(psp.group(1)))) if psp else ""
            rules = tuple((pattern, target.replace("{psp}", index)) for pattern, target in HEAD_RULES)
            _bind_layer(layer, rules, "decode_head.", bindings, kept)
        elif is_backbone:
            _bind_backbone_layer(layer, bindings, kept)
        else:
            kept.extend(variable.path for variable in layer.weights)


def _bind_nested(model, bindings, kept):
    """A nested functional model: a backbone (contract names relative to `backbone.`)."""
    for layer in model.layers:
        if layer.weights:
            _bind_backbone_layer(layer, bindings, kept)


def _bind_backbone_layer(layer, bindings, kept):
    """A layer of the backbone: a nested model, KerasHub's Swin (its table) or a contract-named layer."""
    if isinstance(layer, keras.Model):
        _bind_nested(layer, bindings, kept)
    elif isinstance(layer, SwinTransformerPyramid):
        rules = tuple((pattern.replace("{pyramid}", re.escape(layer.name)), target) for pattern, target in SWIN_RULES)
        _bind_layer(layer, rules, "backbone.", bindings, kept)
    else:
        _bind_layer(layer, None, "backbone.", bindings, kept)


def _bind_layer(layer, rules, prefix, bindings, kept, strip_own_name=False):
    for variable in layer.weights:
        parts = variable.path.split("/")
        if strip_own_name and parts[0] == layer.name:
            parts = parts[1:]
        module, parameter = ".".join(parts[:-1]), parts[-1]
        if rules is None and parts[:-1] == [parameter]:
            # A layer named as its one variable (BEiT's `ClassToken` "cls_token"): a Keras
            # variable must belong to a layer, the torch parameter sits on the module itself.
            key = f"{prefix}{parameter}"
            bindings.append(Binding(variable, key, _converter(layer, variable, key)))
            continue
        if rules is None:
            module = _dotted(module)
        else:
            module = _match(rules, module)
            if module is None:
                kept.append(variable.path)
                continue
        key = f"{prefix}{module}.{PARAMETER_NAMES.get(parameter, parameter)}"
        bindings.append(Binding(variable, key, _converter(layer, variable, key)))


def _dotted(name):
    return torch_module_path(name)


def _match(rules, name):
    """The target of the first rule whose pattern matches all of `name`; None if none (or no target)."""
    for pattern, target in rules:
        match = re.fullmatch(pattern, name)
        if match:
            return None if target is None else match.expand(target)
    return None


def _converter(layer, variable, key):
    rank = len(variable.shape)
    name = variable.path.rsplit("/", 1)[-1]
    if re.search(r"\.downsample\.reduction\.weight$", key) and isinstance(layer, SwinTransformerPyramid):
        return lambda w: layouts.concatenation_order_matrix(w).T
    if re.search(r"\.downsample\.norm\.(weight|bias)$", key) and isinstance(layer, SwinTransformerPyramid):
        return layouts.concatenation_order_vector
    if name in ("kernel", "depthwise_kernel") and rank == 4:
        if isinstance(layer, keras.layers.DepthwiseConv2D) or name == "depthwise_kernel":
            return lambda w: np.transpose(w, (2, 3, 0, 1))  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        # Conv (O, I, kh, kw) -> (kh, kw, I, O); transposed conv (I, O, kh, kw) -> (kh, kw, O, I).
        return lambda w: np.transpose(w, (2, 3, 1, 0))
    if name == "kernel" and rank == 2:
        return lambda w: np.transpose(w)
    return lambda w: w
