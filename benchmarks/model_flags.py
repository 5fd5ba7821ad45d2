"""The absl flags naming the benchmarked model and batch, shared by the model benchmarks.

`define_network_flags` adds the network choice of step_cost.py and
train_step_overhead.py (`benchmarks/paper_networks.py`: the paper's networks by name).

`train_step_overhead.py`, `step_breakdown.py`, `step_cost.py` and `inference.py` all time
the same KerasHub DeepLabV3+ at the same default (the CPU setting, ResNet-18 at 128 px,
batch 4, K=150; the paper setting is `--depth=50 --image_size=512 --batch_size=8`). Each
script runs in its own process and calls `define_model_flags()` once at import.
"""

import collections

from absl import flags

from benchmarks.paper_networks import PAPER_NETWORKS

_FIELDS = ["depth", "image_size", "batch_size", "num_classes"]
ModelSettings = collections.namedtuple("ModelSettings", _FIELDS)


class ModelFlags(collections.namedtuple("ModelFlags", _FIELDS)):
    """The four flag holders; `values()` reads them once absl has parsed argv."""

    def values(self):
        return ModelSettings(*(holder.value for holder in self))


def define_model_flags():
    """Defines `--depth`, `--image_size`, `--batch_size` and `--num_classes`.

    Returns:
        `ModelFlags` of absl flag holders (read `.value` inside `main`).

    Example:

    >>> MODEL = define_model_flags()   # at module level of a benchmark script
    >>> depth, size, batch, k = MODEL.values()   # inside main(), after absl parsed argv
    >>> depth
    18
    """
    return ModelFlags(
        depth=flags.DEFINE_integer(
            "depth", 18, "ResNet depth of the KerasHub DeepLabV3+ (18, 34, 50, 101; `--model` names the others').",
        ),
        image_size=flags.DEFINE_integer("image_size", 128, "Square image size."),
        batch_size=flags.DEFINE_integer("batch_size", 4, "Batch size."),
        num_classes=flags.DEFINE_integer("num_classes", 150, "Number of classes (ADE20K: 150)."),
    )


def define_network_flags(multiple=False):
    """Defines `--model` (`--models` with `multiple`) and `--tiny_networks`.

    Args:
        multiple: bool. A comma-separated list of names (and `paper`: the paper's four
            networks, `paper_networks.PAPER_SET`) instead of one name. Defaults to `False`.

    Returns:
        `(model holder, tiny holder)`: absl flag holders (read `.value` inside `main`).

    Example:

    >>> NETWORK, TINY = define_network_flags()   # at module level of a benchmark script
    """
    names = ", ".join(PAPER_NETWORKS)
    if multiple:
        model = flags.DEFINE_list(
            "models", ["keras_hub_deeplab_v3_plus"],
            f"Networks to measure, one table each: names from {{{names}}}, or `paper` (the paper's four at "
            "--image_size, e.g. 512).",
        )
    else:
        model = flags.DEFINE_string("model", "keras_hub_deeplab_v3_plus", f"Network: one of {{{names}}}.")
    tiny = flags.DEFINE_bool("tiny_networks", False, "Build each network at its smallest (tests only).")
    return model, tiny
