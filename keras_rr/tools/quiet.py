"""Quiet command-line tools: TF / XLA / absl log levels set before those libraries load.

A `python -m keras_rr.tools.<name>` run (and `make demo`) should print our progress and
results, not screens of TensorFlow, XLA and absl start-up lines (`cudart_stub ... Could
not find cuda drivers`, `E0000 ... cuInit`, oneDNN and CPU-feature notices, libtpu).
Those come from C++ code, so they must be silenced before the libraries are imported:

- environment defaults `TF_CPP_MIN_LOG_LEVEL=3`, `GRPC_VERBOSITY=ERROR`,
  `GLOG_minloglevel=3` (a value the user already set is kept);
- TensorFlow is imported once with the process' standard error (file descriptor 2)
  redirected: its CUDA stub logs through absl before absl's logging is initialised,
  which no log level reaches. What the import wrote is replayed if it fails;
- the Python loggers of TensorFlow, JAX's backend discovery and absl are set to ERROR.

`keras_rr/__init__.py` calls `quiet_tool_logs()` before it imports Keras, so this
happens only when the process is a keras_rr tool (`sys.orig_argv` holds
`-m keras_rr.tools.<name>`) and its command line has no `--verbose`; importing keras_rr
from user code changes nothing. Every tool defines the `--verbose` flag
(`define_verbose_flag`), which keeps all library output.
"""

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow C++ (after absl is initialised)
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",  # XLA / glog-based C++ logging
}
# Python loggers that report device discovery or conversion chatter at WARNING/INFO.
QUIET_LOGGERS = ("tensorflow", "absl", "jax._src.xla_bridge", "tf2onnx")
TOOLS_PACKAGE = "keras_rr.tools."


def tool_name(argv=None):
    """The keras_rr tool this process runs (`-m keras_rr.tools.<name>`), or None.

    Args:
        argv: the interpreter's command line. Defaults to `sys.orig_argv`.

    Returns:
        str or None.

    Example:

    >>> tool_name(["python", "-m", "keras_rr.tools.export", "--format=onnx"])
    'export'
    """
    argv = list(sys.orig_argv if argv is None else argv)
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[i + 1].startswith(TOOLS_PACKAGE):
            return argv[i + 1][len(TOOLS_PACKAGE) :]
    return None


def verbose_requested(argv=None):
    """True when the command line asks for `--verbose` (absl spellings included)."""
    argv = list(sys.orig_argv if argv is None else argv)
    for arg in argv:
        if arg in ("--verbose", "--verbose=true", "--verbose=True", "--verbose=1"):
            return True
    return False


@contextlib.contextmanager
def silenced_stderr():
    """Redirects file descriptor 2 (C++ and Python writes alike) to a temporary file.

    What was written is replayed to standard error if the block raises, so an import
    failure still shows its cause.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            os.write(2, capture.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def quiet_logs(import_tensorflow=True):
    """Sets the quiet log levels and, if installed, imports TensorFlow silently.

    Call it before TensorFlow, JAX or Keras is imported; later calls only adjust the
    Python loggers.

    Args:
        import_tensorflow: bool. Import TensorFlow now (with standard error
            redirected) when it is installed and not yet imported. Defaults to `True`.
    """
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if import_tensorflow and "tensorflow" not in sys.modules and importlib.util.find_spec("tensorflow"):
        with silenced_stderr():
            import tensorflow  # noqa: F401
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def quiet_tool_logs(argv=None):
    """`quiet_logs()` when this process is a keras_rr tool run without `--verbose`.

    Returns:
        bool. Whether the logs were quietened.
    """
    if tool_name(argv) is None or verbose_requested(argv):
        return False
    quiet_logs()
    return True


def define_verbose_flag():
    """Defines the tools' `--verbose` absl flag (read before absl parses, see above)."""
    from absl import flags

    if "verbose" not in flags.FLAGS:
        flags.DEFINE_bool("verbose", False, "Keep TensorFlow / XLA / absl log output (quiet by default).")
