"""Entry point of the Docker sandbox: run harness.runner, hand its document back framed.

    GRADER_NONCE=<32 hex> python3 -m harness.docker_entry RUNNER-ARGS...

(grader.backends.docker starts every container with this command, as root with
a handful of capabilities; the runner drops the student's program to the
--student-uid the backend picked, a fresh one in 1,000,000-1,999,999 per container.)

Rule: the results document leaves the container only on this process's own
stdout, between a BEGIN and an END line that carry a nonce, and nothing else
is ever written there:

  * the nonce comes in an environment variable, never in argv:
    /proc/<pid>/cmdline is world-readable, /proc/<pid>/environ of a root
    process is not readable by the student's uid (ptrace access check), and the
    student's programs get a fresh environment from harness.launch;
  * fd 1 (the container's stdout) is moved to a private close-on-exec
    descriptor before the runner starts, and fd 1 becomes stderr, so neither
    a stray print of the runner or pytest nor any child can write into the
    stream the grader reads;
  * the runner writes its document into /run/grader (a tmpfs, mode 0700,
    root's), which the student can neither read nor write nor fill up.

The grader still parses what it reads as untrusted text (grader.results).

One more thing this wrapper does for the runner, because a container has one
CPU quota for the runner and the student together: a "renicer" thread sets
every process of the student's uid to nice 19 every 50 ms
(setpriority(PRIO_USER), CAP_SYS_NICE), so 128 spinning processes of a fork
bomb cannot starve the runner of CPU until its safety-net timeouts fire.
(Every check's feedback is capped where the runner builds the document,
harness.schema.cap_feedback, in every sandbox alike.)
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from pathlib import Path

from harness.schema import MAX_DOCUMENT

NONCE_VAR = "GRADER_NONCE"
WAIT_VAR = "GRADER_WAIT_FOR"  # "<path> <seconds>": a container started ahead waits for its submission
WAIT_POLL = 0.005  # seconds between two looks for it (a stat each: nothing worth an inotify)
PRIVATE = Path(os.environ.get("GRADER_PRIVATE_DIR", "/run/grader"))
RENICE_EVERY = 0.05  # seconds


def frame(nonce: str, body: bytes) -> bytes:
    return b"\n%s BEGIN\n%s\n%s END\n" % (nonce.encode(), body, nonce.encode())


def renice_forever(uid: int, stop: threading.Event) -> None:
    """Keep every process of uid at the lowest CPU priority (children inherit it meanwhile)."""
    while not stop.wait(RENICE_EVERY):
        try:
            os.setpriority(os.PRIO_USER, uid, 19)
        except OSError:
            pass  # no process of that uid right now, or no CAP_SYS_NICE: nothing to do


def wait_for_submission(spec: str) -> bool:
    """Started ahead of its submission (grader.backends.docker_batch): get the slow part done, the imports,
    then wait until the grader has put the submission in place, by renaming the complete copy to `path`."""
    path, _, seconds = spec.rpartition(" ")
    # pytest and the harness: what runner.main imports first
    import harness.plugin
    import harness.runner  # noqa: F401

    deadline = time.monotonic() + float(seconds)
    while not os.path.isdir(path):
        if time.monotonic() > deadline:
            return False  # never taken: the grader removes this container, or a sweep does
        time.sleep(WAIT_POLL)
    return True


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = list(sys.argv[1:] if argv is None else argv)
    nonce = os.environ.pop(NONCE_VAR, "")
    wait = os.environ.pop(WAIT_VAR, "")
    if not re.fullmatch(r"[0-9a-f]{32}", nonce):
        print(f"harness.docker_entry: {NONCE_VAR} must be 32 hex digits", file=sys.stderr)
        return 2
    sys.stdout.flush()
    results_fd = os.dup(1)  # close-on-exec by default (PEP 446): no child inherits it
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from harness.launch import student_env

    # Before TMPDIR turns private: the student's uid must reach its interpreter, and /run/grader is
    # root's alone. /scratch is root's too (the student writes only its own copy below it).
    student_env("/scratch")
    PRIVATE.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(PRIVATE, 0o700)
    (PRIVATE / "tmp").mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(PRIVATE / "tmp")  # the runner's temporary files stay private too
    out = PRIVATE / "results.json"
    if wait:
        if not wait_for_submission(wait):
            return 0
        started = time.monotonic()

    from harness import runner

    stop = threading.Event()
    uid = int(args[args.index("--student-uid") + 1]) if "--student-uid" in args[:-1] else None
    if uid:
        threading.Thread(target=renice_forever, args=(uid, stop), name="renicer", daemon=True).start()
    try:
        runner.main([*args, "--out", str(out)])
        body = out.read_bytes()[: MAX_DOCUMENT + 1]
    except BaseException as exc:  # noqa: BLE001 - any failure is reported as a document, never a silence
        lab = Path(args[args.index("--lab-dir") + 1]).name if "--lab-dir" in args[:-1] else "?"
        doc = runner.error_document(lab, f"{type(exc).__name__}: {exc}", started, containment="uid")
        body = doc.to_text(indent=None).encode()
    stop.set()
    data = frame(nonce, body)
    while data:
        data = data[os.write(results_fd, data):]
    os.close(results_fd)
    return 0


if __name__ == "__main__":
    from harness.runner import exit_now

    exit_now(main())
