"""HRNetV2 (mmsegmentation's `HRNet` backbone), layer for layer, named by mmseg's module paths.

HRNet keeps a high-resolution branch through the whole network and adds a branch at half
the resolution in each of stages 2, 3 and 4, exchanging information between the branches
after every module. mmsegmentation's `HRNet` (`mmseg/models/backbones/hrnet.py`, the
backbone of its OCRNet / FCN `hr18` / `hr48` configs):

- stem: `conv1` (3x3, stride 2, 64) -> `bn1` -> ReLU -> `conv2` (3x3, stride 2, 64) ->
  `bn2` -> ReLU (stride 4);
- `layer1`: `num_blocks[0]` Bottlenecks of `stage1_channels` (expansion 4), the first
  with a 1x1 conv + BN `downsample` shortcut;
- `transition1..3`: a 3x3 stride-2 conv-BN-ReLU from the lowest-resolution branch to the
  new branch (and a 3x3 stride-1 one where an existing branch changes width: after
  `layer1`, 256 -> `width`);
- `stage2..4`: `num_modules[s]` HRModules; a module runs `num_blocks[s]` BasicBlocks on
  each branch (`branches.{i}.{k}`) and fuses them (`fuse_layers.{i}.{j}`): a lower branch
  j > i through a 1x1 conv + BN and a nearest `2**(j-i)` upsampling, a higher branch
  j < i through `i - j` 3x3 stride-2 conv + BN (ReLU between them), summed with branch i,
  then ReLU.

Branch widths are `width * (1, 2, 4, 8)`: W18 18/36/72/144, W48 48/96/192/384 at strides
4, 8, 16, 32; mmseg's HRNetV2 configs (`hr18`: modules 1, 1, 4, 3, four blocks per
branch) are the defaults. The model returns the four branches of the last module
(mmseg's `multiscale_output=True`) as `{"P2", "P3", "P4", "P5"}`; the heads concatenate
them (HRNetV2). Every weight-holding layer is named with mmseg's module path relative to
the backbone (`conv1`, `layer1.0.downsample.0`, `transition1.1.0.0`,
`stage2.0.branches.0.0.conv1`, `stage2.0.fuse_layers.0.1.0`, ...), the contract the
torch-checkpoint importer reads; timm's `hrnet_w18` / `hrnet_w48` name their backbone
parts the same way. Layer names spell the paths with "-" for "." (Keras' torch backend
refuses dots: `keras_rr.networks.layers.module_paths`): `stage2-0-branches-0-0-conv1`.

Torch numerics: stride-2 convs pad one pixel on every side (`ZeroPadding2D(1)` then a
valid conv: Keras' "same" pads an even input only at the bottom / right), BatchNorm has
torch's momentum 0.1 / epsilon 1e-5, convs are initialised as mmseg's (Kaiming normal,
fan_out). mmseg resizes an upsampled lower branch bilinearly to the higher branch's size,
which is the identity when the input side is a multiple of 32; this model asks for such
sizes instead.

Reference:
    Wang et al., "Deep High-Resolution Representation Learning for Visual Recognition",
    TPAMI 2020, https://arxiv.org/abs/1908.07919.
"""

import keras

from keras_rr import validation
from keras_rr.networks.layers.conv_module import batch_norm
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import kaiming_fan_out
from keras_rr.networks.layers.module_paths import module_path_name

# mmseg's `hr18` / `hr48` extra config: modules per stage and blocks per branch.
HRNET_NUM_MODULES = (1, 1, 4, 3)
HRNET_NUM_BLOCKS = (4, 4, 4, 4)
HRNET_STEM_CHANNELS = 64
PYRAMID_LEVELS = ("P2", "P3", "P4", "P5")
_BOTTLENECK_EXPANSION = 4


def hrnet_branch_channels(width):
    """The four branch widths of HRNetV2-W`width`: `width * (1, 2, 4, 8)`."""
    return tuple(width * 2**i for i in range(4))


def _conv(x, filters, kernel_size, name, stride=1, data_format="channels_last"):
    """A bias-free conv with torch's padding `(kernel_size - 1) // 2`."""
    padding = "same"
    if stride > 1 and kernel_size > 1:
        x = keras.layers.ZeroPadding2D((kernel_size - 1) // 2, data_format=data_format,
                                       name=module_path_name(f"{name}_pad"))(x)
        padding = "valid"
    return keras.layers.Conv2D(
        filters, kernel_size, strides=stride, padding=padding, use_bias=False,
        kernel_initializer=kaiming_fan_out(), data_format=data_format, name=module_path_name(name),
    )(x)


def _bn(x, name, data_format):
    return batch_norm(module_path_name(name), channel_axis(data_format))(x)


def _bottleneck(x, planes, name, data_format, downsample):
    """mmcv's Bottleneck (`style="pytorch"`, stride 1): 1x1 -> 3x3 -> 1x1 (x4), residual."""
    shortcut = x
    y = keras.layers.ReLU()(_bn(_conv(x, planes, 1, f"{name}.conv1", data_format=data_format), f"{name}.bn1",
                                data_format))
    y = keras.layers.ReLU()(_bn(_conv(y, planes, 3, f"{name}.conv2", data_format=data_format), f"{name}.bn2",
                                data_format))
    y = _bn(_conv(y, planes * _BOTTLENECK_EXPANSION, 1, f"{name}.conv3", data_format=data_format), f"{name}.bn3",
            data_format)
    if downsample:
        shortcut = _conv(x, planes * _BOTTLENECK_EXPANSION, 1, f"{name}.downsample.0", data_format=data_format)
        shortcut = _bn(shortcut, f"{name}.downsample.1", data_format)
    return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))


def _basic_block(x, planes, name, data_format, downsample):
    """mmcv's BasicBlock (stride 1): 3x3 -> BN -> ReLU -> 3x3 -> BN, residual, ReLU."""
    shortcut = x
    y = keras.layers.ReLU()(_bn(_conv(x, planes, 3, f"{name}.conv1", data_format=data_format), f"{name}.bn1",
                                data_format))
    y = _bn(_conv(y, planes, 3, f"{name}.conv2", data_format=data_format), f"{name}.bn2", data_format)
    if downsample:
        shortcut = _bn(_conv(x, planes, 1, f"{name}.downsample.0", data_format=data_format),
                       f"{name}.downsample.1", data_format)
    return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))


def _channels(x, data_format):
    return x.shape[channel_axis(data_format)]


def _transition(branches, channels, name, data_format):
    """mmseg `_make_transition_layer` applied: the inputs of the next stage's branches."""
    outputs = []
    for i, filters in enumerate(channels):
        if i < len(branches):
            x = branches[i]
            if _channels(x, data_format) != filters:
                x = _conv(x, filters, 3, f"{name}.{i}.0", data_format=data_format)
                x = keras.layers.ReLU()(_bn(x, f"{name}.{i}.1", data_format))
            outputs.append(x)
            continue
        x = branches[-1]
        steps = i + 1 - len(branches)
        for j in range(steps):
            out = filters if j == steps - 1 else _channels(x, data_format)
            x = _conv(x, out, 3, f"{name}.{i}.{j}.0", stride=2, data_format=data_format)
            x = keras.layers.ReLU()(_bn(x, f"{name}.{i}.{j}.1", data_format))
        outputs.append(x)
    return outputs


def _hr_module(branches, channels, num_blocks, name, data_format):
    """mmseg `HRModule` (multiscale output): BasicBlock branches, then the fuse layers."""
    branches = list(branches)
    for i, filters in enumerate(channels):
        x = branches[i]
        for k in range(num_blocks):
            downsample = k == 0 and _channels(x, data_format) != filters
            x = _basic_block(x, filters, f"{name}.branches.{i}.{k}", data_format, downsample)
        branches[i] = x
    if len(branches) == 1:
        return branches
    fused = []
    for i, filters in enumerate(channels):
        terms = []
        for j, x in enumerate(branches):
            prefix = f"{name}.fuse_layers.{i}.{j}"
            if j > i:
                x = _bn(_conv(x, filters, 1, f"{prefix}.0", data_format=data_format), f"{prefix}.1", data_format)
                x = keras.layers.UpSampling2D(2 ** (j - i), interpolation="nearest", data_format=data_format,
                                              name=module_path_name(f"{prefix}.2"))(x)
            elif j < i:
                for k in range(i - j):
                    last = k == i - j - 1
                    out = filters if last else channels[j]
                    x = _bn(_conv(x, out, 3, f"{prefix}.{k}.0", stride=2, data_format=data_format),
                            f"{prefix}.{k}.1", data_format)
                    if not last:
                        x = keras.layers.ReLU()(x)
            terms.append(x)
        fused.append(keras.layers.ReLU()(keras.layers.Add()(terms)))
    return fused


def hrnet_backbone(width=18, image_size=None, num_modules=HRNET_NUM_MODULES, num_blocks=HRNET_NUM_BLOCKS,
                   stage1_channels=64, name=None):
    """HRNetV2-W`width` (mmseg's `HRNet`): images -> the four branches `{"P2".."P5"}`.

    Args:
        width: int. Width of the highest-resolution branch; the branches are
            `width * (1, 2, 4, 8)` (18: HRNetV2-W18, 48: W48). Defaults to `18`.
        image_size: int or None. Square input size, a multiple of 32; None accepts any
            size whose sides are multiples of 32. Defaults to `None`.
        num_modules: four ints. HRModules in stages 1 to 4 (stage 1, `layer1`, has
            exactly one). Defaults to mmseg's `(1, 1, 4, 3)`.
        num_blocks: four ints. Bottlenecks in `layer1`, then BasicBlocks per branch in
            each module of stages 2 to 4. Defaults to mmseg's `(4, 4, 4, 4)`.
        stage1_channels: int. Bottleneck width of `layer1` (its output has 4x as many
            channels). Defaults to mmseg's `64`.
        name: str or None. Model name. Defaults to `f"hrnet_w{width}"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to the dict `{"P2": (B,
        H/4, W/4, width), "P3": (B, H/8, W/8, 2 width), "P4": ..., "P5": (B, H/32, W/32,
        8 width)}` (channels_first: NCHW maps), its layers named by mmseg's module paths.

    Example:

    >>> backbone = keras_rr.models.hrnet_backbone(width=18, image_size=512)
    >>> backbone(images)["P2"].shape  # (B, 128, 128, 18)
    >>> tiny = keras_rr.models.hrnet_backbone(4, 64, num_modules=(1, 1, 1, 1),
    ...                                       num_blocks=(1, 1, 1, 1), stage1_channels=8)
    """
    width = validation.check_int(width, "width", minimum=1)
    image_size = validation.check_int(image_size, "image_size", minimum=32, allow_none=True)
    if image_size is not None and image_size % 32:
        raise ValueError(f"`image_size` must be a multiple of 32 (HRNet's stride). Received: image_size={image_size}")
    num_modules = _four_ints(num_modules, "num_modules")
    if num_modules[0] != 1:
        raise ValueError(f"HRNet's stage 1 (`layer1`) has exactly one module. Received: num_modules={num_modules}")
    num_blocks = _four_ints(num_blocks, "num_blocks")
    stage1_channels = validation.check_int(stage1_channels, "stage1_channels", minimum=1)
    data_format = keras.config.image_data_format()
    shape = (image_size, image_size, 3) if data_format == "channels_last" else (3, image_size, image_size)
    images = keras.Input(shape, name="images")
    x = keras.layers.ReLU()(_bn(_conv(images, HRNET_STEM_CHANNELS, 3, "conv1", stride=2, data_format=data_format),
                                "bn1", data_format))
    x = keras.layers.ReLU()(_bn(_conv(x, HRNET_STEM_CHANNELS, 3, "conv2", stride=2, data_format=data_format),
                                "bn2", data_format))
    for k in range(num_blocks[0]):
        downsample = k == 0 and _channels(x, data_format) != stage1_channels * _BOTTLENECK_EXPANSION
        x = _bottleneck(x, stage1_channels, f"layer1.{k}", data_format, downsample)
    branches = [x]
    channels = hrnet_branch_channels(width)
    for stage in (2, 3, 4):
        stage_channels = channels[:stage]
        branches = _transition(branches, stage_channels, f"transition{stage - 1}", data_format)
        for m in range(num_modules[stage - 1]):
            branches = _hr_module(branches, stage_channels, num_blocks[stage - 1], f"stage{stage}.{m}", data_format)
    outputs = {level: keras.layers.Identity(name=level)(x) for level, x in zip(PYRAMID_LEVELS, branches)}
    return keras.Model(images, outputs, name=name or f"hrnet_w{width}")


def _four_ints(values, name):
    values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
    if len(values) != 4:
        raise ValueError(f"`{name}` must be four ints (stages 1 to 4). Received: {name}={values}")
    return tuple(validation.check_int(v, name, minimum=1) for v in values)
