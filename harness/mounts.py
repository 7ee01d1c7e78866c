"""The student's view of the filesystem in the local sandbox (a private mount namespace).

Built by the PID-namespace init (harness.contain) before it starts the
student's program, afresh for every program:

  * every mount read-only (a bind remount; /dev and its devpts stay as they
    are: only root may create files there, and /dev/null must stay writable);
  * a private, size-capped tmpfs on /tmp, /var/tmp and /dev/shm;
  * the submission's scratch copy (`work`) the only writable place of ours;
  * the grader's own places (its virtualenv, the project checkout, the lab's
    folder, the runner's scratch folder, the user's home) covered by an empty
    read-only tmpfs, with only the holes the program needs (its work folder,
    the Python installation if it lives there) bound back in;
  * a fresh /proc of the program's PID namespace: it sees its own processes,
    not the runner's (nor /proc/<runner>/root, a way back to the real tree).

Why the student cannot undo this: it runs in a user namespace of its own
(harness.contain), with no capability over this mount namespace, and any
mount namespace it makes itself gets these mounts locked (mount_namespaces(7):
mounts copied into a less privileged namespace cannot be unmounted one by
one, and their read-only flag cannot be cleared).

Every step that the machine refuses is named in the returned list (an empty
list: all in place); the sandbox still runs with what it could do.
"""

from __future__ import annotations

import ctypes
import os

from harness.contain import _libc  # the libc already loaded (no ctypes.util: it is slow to import)

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
_OPTION_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                 "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
LEFT_WRITABLE = ("/dev", "/dev/pts", "/proc")  # and everything below /proc: replaced by a fresh one
TMPFS = {"/tmp": "size=64m,nr_inodes=16k,mode=1777", "/var/tmp": "size=16m,nr_inodes=4k,mode=1777",
         "/dev/shm": "size=16m,nr_inodes=4k,mode=1777"}
HIDER = "size=64k,nr_inodes=1k,mode=0755"
WORK = "size=128m,nr_inodes=16k,mode=0755"  # as Docker's /scratch (grader.backends.docker.Limits.scratch_mb)


class View:
    """What the program sees. A plain class, not a dataclass: importing dataclasses costs every
    program start ~10 ms (harness.contain runs this in a bare `python3 -S`)."""

    __slots__ = ("hide", "keep", "work")

    def __init__(self, work: str, hide: tuple[str, ...], keep: tuple[str, ...]) -> None:
        self.work = work  # the submission's copy: the program's cwd, writable
        self.hide = tuple(hide)  # folders the program must not see
        self.keep = tuple(keep)  # folders it needs even if they lie in a hidden one (the Python installation)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def mount_points() -> list[tuple[str, int]]:
    """(mount point, flags to keep on a remount) of every mount, parents first."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = _unescape(fields[4])
            flags = 0
            for opt in fields[5].split(","):
                flags |= _OPTION_FLAGS.get(opt, 0)
            out.append((point, flags))
    return out


def _unescape(field: str) -> str:
    """The kernel writes a space in a mount point as \\040 (octal), and so on."""
    parts = field.split("\\")
    return parts[0] + "".join(chr(int(p[:3], 8)) + p[3:] if p[:3].isdigit() else "\\" + p for p in parts[1:])


def build(view: View) -> list[str]:
    """Make this process's mount namespace the student's view. Returns what could not be done."""
    if _libc.unshare(CLONE_NEWNS) != 0:
        return [f"a private mount namespace ({os.strerror(ctypes.get_errno())})"]
    missing: list[str] = []
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do here reaches the machine
        _mount(view.work, view.work, None, MS_BIND | MS_REC)  # its own mount: stays writable below
    except OSError as exc:
        return [f"private mounts ({exc.strerror})"]
    keep = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in (view.work, *view.keep)
            if os.path.isdir(path)}
    try:
        missing += _read_only_everywhere(view.work)
        for top in [*view.hide, *TMPFS]:
            missing += _cover(top, keep, TMPFS.get(top))
        missing += _fresh_proc()
    finally:
        for fd in keep.values():
            os.close(fd)
    return missing


def cap_work(work: str) -> list[str]:
    """In the runner: put the submission's copy on a size-capped tmpfs of its own (empty list: done).

    The runner's own mount namespace holds it, so it disappears with the runner,
    and the programs of one check share it as they would share a folder. Without
    it a program could fill the disk it is copied to (`fills_disk` writes 4 GB).
    """
    if _libc.unshare(CLONE_NEWNS) != 0:
        return [f"a size cap on the submission's folder ({os.strerror(ctypes.get_errno())})"]
    fd = os.open(work, os.O_PATH | os.O_DIRECTORY)
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        _mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, WORK)
        import shutil

        shutil.copytree(f"/proc/self/fd/{fd}", work, dirs_exist_ok=True, symlinks=True)
        for entry in os.scandir(f"/proc/self/fd/{fd}"):  # the copy on disk below: nothing stays there
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
    except OSError as exc:
        return [f"a size cap on the submission's folder ({exc.strerror or exc})"]
    finally:
        os.close(fd)
    return []


def release_work(work: str) -> None:
    """Undo cap_work (so the folder below can be removed); nothing if it was not done."""
    if os.path.ismount(work):
        _libc.umount2(work.encode(), 2)  # MNT_DETACH


def _read_only_everywhere(work: str) -> list[str]:
    failed = []
    for point, flags in mount_points():
        if point == work or point in LEFT_WRITABLE or point.startswith("/proc/"):
            continue
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError as exc:
            if exc.errno != 2:  # ENOENT: shadowed by a later mount, out of reach anyway
                failed.append(point)
    return [f"read-only {', '.join(failed)}"] if failed else []


def _cover(top: str, keep: dict[str, int], tmpfs_options: str | None) -> list[str]:
    """A fresh tmpfs on `top` (writable for /tmp and the like, else empty and read-only), holes kept."""
    if top == "/" or not os.path.isdir(top) or os.path.islink(top):
        return []
    writable = tmpfs_options is not None
    try:
        _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV | (0 if writable else MS_NOEXEC),
               tmpfs_options or HIDER)
        for path, fd in keep.items():
            if path != top and path.startswith(top.rstrip("/") + "/"):
                os.makedirs(path, mode=0o755, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if not writable:
            _mount(None, top, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError as exc:
        return [f"{'a private' if writable else 'hiding'} {top} ({exc.strerror})"]
    return []


def _fresh_proc() -> list[str]:
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError as exc:
        return [f"a private /proc ({exc.strerror}: in a container, --security-opt systempaths=unconfined)"]
    return []
