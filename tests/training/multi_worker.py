"""Several training processes on 127.0.0.1 for the multi-worker tests (not a test module).

- `CONFIG` / `OVERRIDES` / `config()`: the run every process and the single-process
  reference train (the synthetic smoke config: tiny FCN, 32 px, 4 steps of batch 4).
- `cluster`: what makes process `i` of `n` join the cluster, per backend (TensorFlow:
  `TF_CONFIG`; JAX: `--coordinator_address/--num_processes/--process_id`, coordinator
  bound to 127.0.0.1). TensorFlow's gRPC servers listen on every interface at their port
  (TensorFlow has no bind-address setting); the workers only ever connect to 127.0.0.1.
- `run_workers`: starts the processes, waits with a deadline, kills every one of them
  (its whole process group) on a failure or timeout, so no process outlives the test.
- `main` (`python -m tests.training.multi_worker ...`): one worker of a run that kills
  itself (SIGKILL) after a given step, recording each step's losses.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

CONFIG = "configs/synthetic/small_fcn_rr.py:smoke"
OVERRIDES = {
    "train.total_steps": 4,
    "train.batch_size": 4,  # the global batch: 2 examples per worker
    "train.checkpoint_every": 2,
    "train.log_every": 1,
    "train.export": False,
    # Random rescale/crop/flip/colour jitter: each worker must augment its examples
    # with the seeds the single process uses for them.
    "data.augment.enabled": True,
    "eval.flip": False,  # one forward pass per validation batch
}


def config():
    """The config of `CONFIG` with `OVERRIDES`."""
    from keras_rr.training import config as rr_config
    from tests.harness import REPO_ROOT

    return rr_config.load_config(os.path.join(REPO_ROOT, CONFIG), overrides=OVERRIDES)


def config_flags():
    """`OVERRIDES` as `--config.field=value` flags of `keras_rr.tools.train`."""
    return [f"--config={CONFIG}"] + [f"--config.{key}={value}" for key, value in OVERRIDES.items()]


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster(backend, num_workers):
    """Per worker: `(environment, flags)` joining a `num_workers` cluster on loopback."""
    if backend == "tensorflow":
        addresses = [f"127.0.0.1:{port}" for port in free_ports(num_workers)]
        return [
            ({"TF_CONFIG": json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}})}, [])
            for i in range(num_workers)
        ]
    (port,) = free_ports(1)
    # JAX's coordinator service listens on all interfaces ([::]) unless told otherwise;
    # one CPU device per process, and no probing for TPU / GPU at start-up.
    bind = {"JAX_COORDINATOR_BIND_ADDRESS": f"127.0.0.1:{port}", "JAX_PLATFORMS": "cpu"}
    return [
        (bind, [f"--coordinator_address=127.0.0.1:{port}", f"--num_processes={num_workers}", f"--process_id={i}"])
        for i in range(num_workers)
    ]


def run_workers(commands, log_dir, timeout):
    """Runs one process per `(argv, env)` from the repository root; kills all on failure.

    Args:
        commands: list of `(argv, extra environment)`.
        log_dir: str. Receives `worker_<i>.log` (stdout and stderr).
        timeout: float. Seconds for all of them together.

    Returns:
        list of return codes (a negative code is the signal that ended the process).

    Raises:
        AssertionError: a process failed (another than by the SIGKILL a test asked for)
            or the deadline passed; every process is killed first, the logs' ends
            are in the message.
    """
    from tests.harness import REPO_ROOT

    base = dict(os.environ)
    base["PYTHONPATH"] = REPO_ROOT + os.pathsep + base.get("PYTHONPATH", "")
    base.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    procs, logs = [], []
    deadline = time.monotonic() + timeout
    try:
        for i, (argv, env) in enumerate(commands):
            log = open(os.path.join(log_dir, f"worker_{i}.log"), "w")
            logs.append(log)
            procs.append(subprocess.Popen(
                argv, cwd=REPO_ROOT, env={**base, **env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with everything it started
            ))
        while any(p.poll() is None for p in procs):
            failed = [p.returncode for p in procs if p.returncode not in (None, 0, -signal.SIGKILL)]
            if failed or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            else:
                # The worker is gone; anything it started that still runs goes too.
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for log in logs:
            log.close()
    codes = [p.returncode for p in procs]
    ok = all(c in (0, -signal.SIGKILL) for c in codes) and time.monotonic() <= deadline
    if not ok:
        tails = []
        for i in range(len(procs)):
            with open(os.path.join(log_dir, f"worker_{i}.log")) as f:
                tails.append(f"--- worker {i} (return code {codes[i]}) ---\n{f.read()[-4000:]}")
        raise AssertionError(f"workers failed or timed out after {timeout} s:\n" + "\n".join(tails))
    return codes


def main(argv):
    """One worker: trains `config()` on `multi_worker`, kills itself after step `kill_at`.

    argv: `workdir losses_file kill_at [--coordinator_address=... --num_processes=N --process_id=I]`.
    """
    workdir, losses_file, kill_at = argv[0], argv[1], int(argv[2])
    flags = dict(arg[2:].split("=", 1) for arg in argv[3:])
    from keras_rr.training.distribution import ProcessGroup
    from keras_rr.training.trainer import train_and_evaluate

    group = ProcessGroup(
        flags.get("coordinator_address"),
        int(flags["num_processes"]) if "num_processes" in flags else None,
        int(flags["process_id"]) if "process_id" in flags else None,
    )

    def record(step, losses):
        with open(losses_file, "a") as f:
            f.write(json.dumps({"step": step, **losses}) + "\n")
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    train_and_evaluate(config(), workdir, strategy="multi_worker", step_hooks=[record], progress=False,
                       process_group=group)


if __name__ == "__main__":
    main(sys.argv[1:])
