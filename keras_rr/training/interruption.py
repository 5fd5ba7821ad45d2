"""Ctrl-C and preemption: SIGINT / SIGTERM stop training at the next step and save it.

While the trainer trains, `StopSignals` replaces the SIGINT and SIGTERM handlers with
one that only records the signal. The trainer's step callback then stops `fit` after
the step running now, the trainer writes a checkpoint at that step and raises
`TrainingInterrupted`; running the same command again resumes from it, so at most
the step that was running is lost. `python -m keras_rr.tools.train` prints one line
and exits with `128 + signal number`: 130 for SIGINT (Ctrl-C), 143 for SIGTERM (what
clusters send before preempting a job).

A second signal while the first is being handled restores the default handlers and
interrupts at once (`KeyboardInterrupt`), for a run that must stop now. Handlers are
only installed in the main thread of a single-process run (`train_and_evaluate` with
one worker): with several workers, a signal reaching one of them would stop it at
another step than the others.
"""

import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(Exception):
    """Training stopped by SIGINT / SIGTERM after its state was saved.

    Attributes:
        signal_number: int. The signal received.
        step: int. Steps trained (the checkpoint's step).
        checkpoint: str or None. The checkpoint folder holding that step.
        exit_code: int. `128 + signal_number` (130 SIGINT, 143 SIGTERM), the shell's
            convention for a process ended by a signal.
    """

    def __init__(self, signal_number, step, checkpoint):
        self.signal_number = int(signal_number)
        self.step = int(step)
        self.checkpoint = checkpoint
        self.exit_code = 128 + self.signal_number
        name = signal.Signals(self.signal_number).name
        where = f"saved {checkpoint}" if checkpoint else "nothing new to save"
        super().__init__(f"{name} received: stopped at step {self.step}, {where}; run the same command to resume.")


class StopSignals:
    """Context manager: records SIGINT / SIGTERM in `received` instead of acting on them.

    Args:
        enabled: bool. `False` (or outside the main thread) installs nothing.
    """

    def __init__(self, enabled=True):
        self.enabled = bool(enabled) and threading.current_thread() is threading.main_thread()
        self.received = None
        self._previous = {}

    def _handle(self, signal_number, frame):
        if self.received is not None:
            self._restore()
            raise KeyboardInterrupt(f"second signal ({signal.Signals(signal_number).name}): stopping now")
        self.received = signal_number

    def _restore(self):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def __enter__(self):
        if self.enabled:
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc):
        self._restore()
        return False
