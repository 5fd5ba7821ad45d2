"""A tiny network named by the torch-checkpoint naming contract, in Keras and in plain torch.

Keras: a nested functional backbone (`stem.0` ... `stem.7`: mmcv ResNetV1c's deep stem,
three conv-BN pairs; `layers.0`: a BEiT-like custom layer whose sub-layers and variables
carry torch's names) and a head whose layers carry full mmseg paths
(`decode_head.dw` depthwise, `decode_head.up` transposed conv, `decode_head.conv_seg`).
Layer names join mmseg's path with `SEPARATOR` (`-`: Keras' torch backend cannot build a
layer whose name contains `.`; `load_torch_weights` reads both as `.`).
torch: the same network as `nn.Module`s, so its `state_dict()` has mmseg's names.
"""

import keras
import numpy as np
from keras import ops

CHANNELS = 4
HEADS = 2
WINDOW = 2  # the block's relative-position table: (2 * 2 - 1)**2 + 3 rows
NUM_CLASSES = 3
SEPARATOR = "-"
SIZE = 8


class TinyAttention(keras.layers.Layer):
    """`qkv` (a Dense) and the `relative_position_bias_table` variable, as BEiT's `attn`."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.qkv = keras.layers.Dense(3 * channels, name="qkv")

    def build(self, input_shape):
        self.qkv.build(input_shape)
        rows = (2 * WINDOW - 1) ** 2 + 3
        self.table = self.add_weight(shape=(rows, HEADS), initializer="zeros", name="relative_position_bias_table")

    def call(self, x):
        return self.qkv(x)[..., : self.channels] + ops.mean(self.table)


class TinyBlock(keras.layers.Layer):
    """tokens + gamma_1 * attn(ln1(tokens)): sub-layers `ln1`, `attn`, variable `gamma_1`."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-6, name="ln1")
        self.attn = TinyAttention(channels, name="attn")

    def build(self, input_shape):
        self.ln1.build(input_shape)
        self.attn.build(input_shape)
        self.gamma_1 = self.add_weight(shape=(self.channels,), initializer="ones", name="gamma_1")

    def call(self, x):
        return x + self.gamma_1 * self.attn(self.ln1(x))


def _name(*parts):
    return SEPARATOR.join(str(part) for part in parts)


def keras_backbone():
    images = keras.Input((SIZE, SIZE, 3))
    x = images
    for conv, bn in ((0, 1), (3, 4), (6, 7)):
        x = keras.layers.Conv2D(CHANNELS, 3, padding="same", use_bias=False, name=_name("stem", conv))(x)
        x = keras.layers.BatchNormalization(epsilon=1e-5, name=_name("stem", bn))(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Reshape((SIZE * SIZE, CHANNELS))(x)
    x = TinyBlock(CHANNELS, name=_name("layers", 0))(x)
    x = keras.layers.Reshape((SIZE, SIZE, CHANNELS))(x)
    return keras.Model(images, x, name="tiny_backbone")


def keras_segmenter():
    backbone = keras_backbone()
    images = keras.Input((SIZE, SIZE, 3))
    x = backbone(images)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=_name("decode_head", "dw"))(x)
    x = keras.layers.Conv2DTranspose(CHANNELS, 2, strides=2, name=_name("decode_head", "up"))(x)
    logits = keras.layers.Conv2D(NUM_CLASSES, 1, name=_name("decode_head", "conv_seg"))(x)
    return keras.Model(images, logits, name="tiny_segmenter")


def torch_modules():
    """`(TorchBackbone, TorchSegmenter)` classes (torch imported here: tests importorskip it)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(CHANNELS, eps=1e-6)
            self.attn = nn.Module()
            self.attn.qkv = nn.Linear(CHANNELS, 3 * CHANNELS)
            self.attn.relative_position_bias_table = nn.Parameter(torch.zeros((2 * WINDOW - 1) ** 2 + 3, HEADS))
            self.attn.register_buffer("relative_position_index", torch.zeros(4, 4, dtype=torch.long))
            self.gamma_1 = nn.Parameter(torch.ones(CHANNELS))

        def forward(self, x):
            y = self.attn.qkv(self.ln1(x))[..., :CHANNELS] + self.attn.relative_position_bias_table.mean()
            return x + self.gamma_1 * y

    class Backbone(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(3, CHANNELS, 3, padding=1, bias=False), nn.BatchNorm2d(CHANNELS), nn.ReLU(),
                nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False), nn.BatchNorm2d(CHANNELS), nn.ReLU(),
                nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False), nn.BatchNorm2d(CHANNELS), nn.ReLU(),
            )
            self.layers = nn.ModuleList([Block()])

        def forward(self, x):
            x = self.stem(x)
            b, c, h, w = x.shape
            tokens = self.layers[0](x.flatten(2).transpose(1, 2))
            return tokens.transpose(1, 2).reshape(b, c, h, w)

    class DecodeHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.dw = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=CHANNELS, bias=False)
            self.up = nn.ConvTranspose2d(CHANNELS, CHANNELS, 2, stride=2)
            self.conv_seg = nn.Conv2d(CHANNELS, NUM_CLASSES, 1)

        def forward(self, x):
            return self.conv_seg(self.up(self.dw(x)))

    class Segmenter(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = Backbone()
            self.decode_head = DecodeHead()

        def forward(self, x):
            return self.decode_head(self.backbone(x))

    return Backbone, Segmenter


def torch_segmenter(seed=0):
    """A randomised torch `Segmenter` in eval mode (BN statistics random too)."""
    import torch

    from tests.checkpoints.mmseg_modules import randomize

    _, segmenter = torch_modules()
    model = randomize(segmenter(), seed)
    with torch.no_grad():  # a table of varied values, so a wrong row order would show
        for block in model.backbone.layers:
            table = block.attn.relative_position_bias_table
            table.copy_(torch.arange(table.numel(), dtype=torch.float32).reshape(table.shape) / 10)
    return model


def torch_predict(module, images):
    """NHWC NumPy output of a torch module on NHWC NumPy images."""
    import torch

    with torch.no_grad():
        out = module(torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))))
    return out.permute(0, 2, 3, 1).numpy()
