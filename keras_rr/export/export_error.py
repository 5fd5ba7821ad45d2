"""The error an export raises when it cannot write a correct artifact."""


class ExportError(RuntimeError):
    """An export could not be written, or its artifact does not reproduce the model.

    Raised by `keras_rr.export.export_segmenter` (and `verify_export`) when the
    converter of a format fails on a model, when the written artifact cannot be loaded
    by its own runtime, or when its outputs differ from the model's beyond the
    tolerances. The message names the format, the backend and, for a difference, the
    measured values; the artifact is not left at the requested path.
    """
