"""Sub-commands for the Docker sandbox (added to the parser by grader.cli).

    grader image build      build the sandbox image now (progress on stderr), print its tag
    grader image status     is the engine reachable, is the current image built, what is left over
    grader clean [--all]    remove sandbox containers left by crashed runs (--all: every one of
                            ours, also other graders' running now) and stale images
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from grader.errors import ExitCode


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    i = sub.add_parser("image", help="the Docker sandbox image: build it, or show its status",
                       description="The sandbox image holds the harness and the labs' checks. It is built "
                       "without any registry (a Debian root file system made once with debootstrap, then a "
                       "small layer per change) and tagged with a hash of its content.")
    isub = i.add_subparsers(dest="image_command", metavar="ACTION", required=True)
    isub.add_parser("build", help="build the image now unless it is current (progress on stderr); print its tag")
    isub.add_parser("status", help="engine, current image tag, whether it is built, leftovers")

    c = sub.add_parser("clean", help="remove leftovers of the Docker sandbox: containers of crashed runs, "
                       "stale images",
                       description="Remove sandbox containers whose grader process is gone or whose deadline "
                       "has passed, and sandbox images other than the current one.")
    c.add_argument("--all", action="store_true",
                   help="remove every sandbox container, also those of graders running right now")
    c.add_argument("--keep-images", action="store_true", help="leave the images alone")


def cmd_image(args: argparse.Namespace) -> int:
    from grader import docker_engine, image
    from grader.paths import data_root

    reason = docker_engine.engine_available()
    if args.image_command == "status":
        tag = image.image_tag(data_root())
        if reason is not None:
            print(f"engine:     unavailable: {reason}")
            print(f"image:      {tag} (cannot tell whether it is built)")
            return ExitCode.INFRASTRUCTURE
        from grader.backends.docker import LABEL

        info = docker_engine.engine_info()
        built = docker_engine.image_exists(tag)
        print(f"engine:     Docker {info['server_version']} (API {info['api_version']}, "
              f"cgroup v{info['cgroup_version']}, {info['cpus']} CPUs)")
        print(f"image:      {tag} ({'built, ' + _mb(docker_engine.image_size(tag)) if built else 'not built yet'})")
        others = [t for t in docker_engine.list_tags(image.IMAGE_REPOSITORY) if t != tag]
        print(f"stale:      {len(others)} older image(s){' (grader clean removes them)' if others else ''}")
        print(f"containers: {len(docker_engine.list_containers(LABEL))} sandbox container(s) now")
        return ExitCode.OK
    if reason is not None:
        raise docker_engine.DockerUnavailable(reason)
    started = time.monotonic()
    tag = image.ensure_image(data_root())
    print(f"image ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(tag)
    return ExitCode.OK


def cmd_clean(args: argparse.Namespace) -> int:
    from grader import docker_engine, image
    from grader.backends.docker import sweep_stale
    from grader.paths import data_root

    reason = docker_engine.engine_available()
    if reason is not None:
        raise docker_engine.DockerUnavailable(reason)
    removed = sweep_stale(everything=args.all)
    print(f"removed {len(removed)} sandbox container(s){': ' + ' '.join(removed) if removed else ''}")
    if not args.keep_images:
        gone = image.prune_stale_images(data_root())
        print(f"removed {len(gone)} stale image(s) and cached file(s)")
        for item in gone:
            print(f"  {item}")
    return ExitCode.OK


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"image": cmd_image, "clean": cmd_clean}
