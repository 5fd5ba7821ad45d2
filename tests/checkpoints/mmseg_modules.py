"""mmseg's heads as plain torch modules with mmseg's module structure, so `state_dict()`
gives mmseg's parameter names (written from mmseg's and mmcv's definitions:
`ConvModule`, `DepthwiseSeparableConvModule`, `PPM`, `UPerHead`, `PSPHead`,
`DepthwiseSeparableASPPHead`, `FCNHead`, mmseg's Swin `PatchMerging`).

They are the independent references of `keras_rr.models.load_torch_weights`: the Keras
model loads their state dict under mmseg's names and must predict what they compute.
Only the tests import this (torch is imported by the caller's `importorskip`).
"""

import torch
import torch.nn.functional as F
from torch import nn


def resize(x, size):
    """mmseg's `resize(..., mode="bilinear", align_corners=False)`."""
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


class ConvModule(nn.Module):
    """mmcv `ConvModule`: conv (no bias), BN, ReLU; children `conv`, `bn`, `activate`."""

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=dilation * (kernel_size - 1) // 2,
                              dilation=dilation, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.activate = nn.ReLU()

    def forward(self, x):
        return self.activate(self.bn(self.conv(x)))


class DepthwiseSeparableConvModule(nn.Module):
    """mmcv `DepthwiseSeparableConvModule`: `depthwise_conv` and `pointwise_conv` ConvModules."""

    def __init__(self, in_channels, out_channels, kernel_size=3, dilation=1):
        super().__init__()
        self.depthwise_conv = ConvModule(in_channels, in_channels, kernel_size, dilation, groups=in_channels)
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


class PPM(nn.ModuleList):
    """mmseg `PPM`: per scale `Sequential(AdaptiveAvgPool2d(s), ConvModule 1x1)`, resized back."""

    def __init__(self, pool_scales, in_channels, channels):
        super().__init__([nn.Sequential(nn.AdaptiveAvgPool2d(s), ConvModule(in_channels, channels, 1))
                          for s in pool_scales])

    def forward(self, x):
        return [resize(module(x), x.shape[2:]) for module in self]


class DecodeHead(nn.Module):
    """mmseg `BaseDecodeHead`'s `conv_seg` (dropout is off at inference)."""

    def __init__(self, channels, num_classes):
        super().__init__()
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)


class UPerHead(DecodeHead):
    def __init__(self, in_channels, channels, num_classes, pool_scales=(1, 2, 3, 6)):
        super().__init__(channels, num_classes)
        self.psp_modules = PPM(pool_scales, in_channels[-1], channels)
        self.bottleneck = ConvModule(in_channels[-1] + len(pool_scales) * channels, channels, 3)
        self.lateral_convs = nn.ModuleList([ConvModule(c, channels, 1) for c in in_channels[:-1]])
        self.fpn_convs = nn.ModuleList([ConvModule(channels, channels, 3) for _ in in_channels[:-1]])
        self.fpn_bottleneck = ConvModule(len(in_channels) * channels, channels, 3)

    def forward(self, inputs):
        laterals = [conv(inputs[i]) for i, conv in enumerate(self.lateral_convs)]
        laterals.append(self.bottleneck(torch.cat([inputs[-1]] + self.psp_modules(inputs[-1]), dim=1)))
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + resize(laterals[i], laterals[i - 1].shape[2:])
        outs = [self.fpn_convs[i](laterals[i]) for i in range(len(laterals) - 1)] + [laterals[-1]]
        outs = [outs[0]] + [resize(out, outs[0].shape[2:]) for out in outs[1:]]
        return self.conv_seg(self.fpn_bottleneck(torch.cat(outs, dim=1)))


class PSPHead(DecodeHead):
    def __init__(self, in_channels, channels, num_classes, pool_scales=(1, 2, 3, 6)):
        super().__init__(channels, num_classes)
        self.psp_modules = PPM(pool_scales, in_channels, channels)
        self.bottleneck = ConvModule(in_channels + len(pool_scales) * channels, channels, 3)

    def forward(self, inputs):
        x = inputs[-1]
        return self.conv_seg(self.bottleneck(torch.cat([x] + self.psp_modules(x), dim=1)))


class DepthwiseSeparableASPPHead(DecodeHead):
    """`inputs`: `(c1, x)`, the low-level map and the last map."""

    def __init__(self, in_channels, c1_in_channels, channels, c1_channels, num_classes, dilations=(1, 12, 24, 36)):
        super().__init__(channels, num_classes)
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(in_channels, channels, 1))
        self.aspp_modules = nn.ModuleList(
            [ConvModule(in_channels, channels, 1) if d == 1 else DepthwiseSeparableConvModule(in_channels, channels, 3, d)
             for d in dilations]
        )
        self.bottleneck = ConvModule((len(dilations) + 1) * channels, channels, 3)
        self.c1_bottleneck = ConvModule(c1_in_channels, c1_channels, 1)
        self.sep_bottleneck = nn.Sequential(
            DepthwiseSeparableConvModule(channels + c1_channels, channels), DepthwiseSeparableConvModule(channels, channels)
        )

    def forward(self, inputs):
        c1, x = inputs
        outs = [resize(self.image_pool(x), x.shape[2:])] + [module(x) for module in self.aspp_modules]
        output = self.bottleneck(torch.cat(outs, dim=1))
        c1 = self.c1_bottleneck(c1)
        output = torch.cat([resize(output, c1.shape[2:]), c1], dim=1)
        return self.conv_seg(self.sep_bottleneck(output))


class FCNHead(DecodeHead):
    """mmseg `FCNHead(num_convs=1, concat_input=False)`, the auxiliary head."""

    def __init__(self, in_channels, channels, num_classes, num_convs=1):
        super().__init__(channels, num_classes)
        self.convs = nn.Sequential(*[ConvModule(in_channels if i == 0 else channels, channels, 3)
                                     for i in range(num_convs)])

    def forward(self, inputs):
        return self.conv_seg(self.convs(inputs[-1]))


class PatchMerging(nn.Module):
    """mmseg's Swin `PatchMerging`: `nn.Unfold(2, stride=2)` (channel-major 2x2 patches), norm, reduction."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.sampler = nn.Unfold(kernel_size=2, stride=2)
        self.norm = nn.LayerNorm(4 * in_channels)
        self.reduction = nn.Linear(4 * in_channels, out_channels, bias=False)

    def forward(self, x, hw_shape):
        batch, _, channels = x.shape
        x = x.view(batch, *hw_shape, channels).permute(0, 3, 1, 2)
        x = self.sampler(x).transpose(1, 2)
        return self.reduction(self.norm(x))


def randomize(module, seed=0):
    """Random parameters and BN statistics (inference BN is then not the identity)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith(("running_var", "bn.weight")):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith(("running_mean", "bn.bias")):
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=generator))
            else:
                fan_in = max(int(tensor[0].numel()) if tensor.ndim > 1 else 1, 1)
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in ** 0.5)
    return module.eval()


def prefixed(prefix, module):
    """`{prefix + name: tensor}` of `module.state_dict()`."""
    return {prefix + name: tensor for name, tensor in module.state_dict().items()}
