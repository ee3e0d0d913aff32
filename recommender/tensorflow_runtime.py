"""Import TensorFlow quietly: its C++ start-up lines are noise to anyone running the product.

TensorFlow logs from C++ through absl before absl is initialised, so `TF_CPP_MIN_LOG_LEVEL` alone
does not hide everything: the `oneDNN custom operations are on` and `All log messages before
absl::InitializeLog()` lines are written to file descriptor 2 during `import tensorflow`, and a
harmless `E0000 ... NodeDef mentions attribute` line appears later unless the level is 3. So by
default the level is 3 and descriptor 2 points at /dev/null for the duration of the import only
(Python's own errors afterwards are untouched). `REELMATE_TF_VERBOSE=1` (the CLI's `--verbose`)
shows everything; it is an environment variable so that training subprocesses inherit it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from types import ModuleType

VERBOSE_ENV = "REELMATE_TF_VERBOSE"


def verbose_requested() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def set_verbose(verbose: bool) -> None:
    """Choose, before TensorFlow is imported, whether its native logs are shown (inherited by children)."""
    os.environ[VERBOSE_ENV] = "1" if verbose else "0"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0" if verbose else "3"


@contextlib.contextmanager
def _descriptor_2_silenced() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded interpreters): nothing to hide
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow() -> ModuleType:
    """`import tensorflow`, silencing its native start-up logs unless verbose output was asked for."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if verbose_requested():
        import tensorflow

        return tensorflow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _descriptor_2_silenced():
        import tensorflow
    # absl's Python logger (used by TensorFlow and Keras) would otherwise print warnings at import.
    logging.getLogger("absl").setLevel(logging.ERROR)
    return tensorflow
