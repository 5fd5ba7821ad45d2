"""`LoadReport`: what `load_torch_weights` did with every torch key and Keras variable."""

import dataclasses


@dataclasses.dataclass
class LoadReport:
    """The outcome of `keras_rr.models.load_torch_weights`.

    Attributes:
        layout: str. The layout recognised from the keys (`keras_rr.checkpoints.layouts`),
            e.g. `"mmseg_segmentor"`, `"timm_resnet"`.
        loaded: list of `(mmseg key, Keras variable path)` assigned (the key after the
            layout's renaming, e.g. `"backbone.stem.0.weight"` for timm's `conv1.0.weight`).
        skipped: dict `{torch key: reason}`: keys the model has no use for (a
            classifier, `num_batches_tracked`, `relative_position_index`, parts the
            model lacks when `strict=False`).
        resized: list of `(torch key, source shape, target shape)`: relative-position
            tables resized to the model's window.
        missing: list of `(mmseg key, Keras variable path)`: variables of the loaded
            scope (backbone / neck / heads present in the checkpoint) it had no key for
            (only when `strict=False`; an error otherwise). They keep their values.
        kept: list of Keras variable paths no torch weight corresponds to (e.g. the
            Region Rebalance wrapper's region branch, KerasHub Swin's unused classifier
            norm, mmseg Swin's output norms absent from a classification checkpoint);
            they keep their values.

    Example:

    >>> report = load_torch_weights(segmenter, "upernet_swin_tiny.pth")
    >>> print(report)
    """

    layout: str
    loaded: list = dataclasses.field(default_factory=list)
    skipped: dict = dataclasses.field(default_factory=dict)
    resized: list = dataclasses.field(default_factory=list)
    missing: list = dataclasses.field(default_factory=list)
    kept: list = dataclasses.field(default_factory=list)

    def __str__(self):
        lines = [(
            f"load_torch_weights: layout {self.layout}: {len(self.loaded)} loaded, {len(self.skipped)} skipped, "
            f"{len(self.resized)} resized, {len(self.missing)} missing, {len(self.kept)} Keras variables kept"
        )]
        reasons = {}
        for key, reason in self.skipped.items():
            reasons.setdefault(reason, []).append(key)
        for reason, keys in reasons.items():
            lines.append(f"  skipped ({reason}): {_some(keys)}")
        for key, source, target in self.resized:
            lines.append(f"  resized {key}: {tuple(source)} -> {tuple(target)}")
        if self.missing:
            lines.append(f"  missing (not in the checkpoint, left as they were): {_some([k for k, _ in self.missing])}")
        if self.kept:
            lines.append(f"  kept (no torch counterpart): {_some(self.kept)}")
        return "\n".join(lines)


def _some(names, limit=6):
    shown = ", ".join(names[:limit])
    return shown + (f" ... (+{len(names) - limit} more)" if len(names) > limit else "")
