"""A lab's assignment.yml, read and checked once: the lab model both sides share.

Rule: this is the only module that parses assignment.yml. The harness (the
runner, inside the sandbox) and the grader (the catalogue in grader.labs, the
Docker backend's hosts and sysctls) read the same LabSpec. Problems raise
LabSpecError naming the file and the key path; grader.labs turns it into the
grader's ConfigError (the harness cannot import grader), and the runner turns
it into an `error` document.

    name, title, kind, file        required text (kind: server | client)
    port, protocol                 the lab's port (protocol tcp | udp, default tcp)
    summary, try_by_hand           text for `grader list` and for feedback
    hosts: {name: IP}              handout host names that lead to the fake servers
    sysctls: {net.*: value}        per-network-namespace sysctls the sandbox presets
    variants: {name: {fails: CHECK | passes: all, why: ...}}
    anything else                  lab-specific settings a check reads (LabSession.setting)
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REQUIRED = ("name", "title", "kind", "file")
KNOWN = (*REQUIRED, "port", "protocol", "summary", "try_by_hand", "hosts", "sysctls", "variants")
SYSCTL_NAME = re.compile(r"net\.[a-z0-9_.\-]+")


class LabSpecError(ValueError):
    """assignment.yml is missing, not YAML, or a key has a value of the wrong kind."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantSpec:
    """A program kept beside the reference: known-bad (`fails: CHECK`) or known-good (`passes: all`)."""

    name: str
    fails: str | None  # the check a known-bad variant must fail; None for a known-good one
    why: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LabSpec:
    name: str
    title: str
    kind: str  # server | client
    file: str
    port: int | None = None
    protocol: str = "tcp"
    summary: str = ""
    try_by_hand: str = ""
    hosts: dict[str, str] = field(default_factory=dict)  # name -> IP address
    sysctls: dict[str, str] = field(default_factory=dict)  # net.* only
    variants: tuple[VariantSpec, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # every other key, for the lab's own checks


#: PyYAML's libyaml-backed safe loader where the wheel has it: the same documents, 10x faster to parse
#: (the pure-Python one took 0.1 s of every `grader check` on the 16 labs' files).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(directory: Path) -> LabSpec:
    """directory/assignment.yml as a LabSpec (LabSpecError names the file and key)."""
    path = directory / "assignment.yml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise LabSpecError(f"{path}: cannot read the lab's description: {exc}") from exc
    return parse_spec(data, str(path))


def parse_spec(data: object, where: str) -> LabSpec:
    if not isinstance(data, dict):
        raise LabSpecError(f"{where}: expected a mapping of keys, got {type(data).__name__}")
    for key in REQUIRED:
        if not isinstance(data.get(key), str):
            raise LabSpecError(f"{where}: {key}: expected a str, got {data.get(key)!r}")
    port = data.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise LabSpecError(f"{where}: port: expected a number, got {port!r}")
    hosts, sysctls = _network(data, where)
    return LabSpec(
        name=data["name"], title=data["title"], kind=data["kind"], file=data["file"], port=port,
        protocol=str(data.get("protocol", "tcp")), summary=str(data.get("summary", "")),
        try_by_hand=str(data.get("try_by_hand") or ""), hosts=hosts, sysctls=sysctls,
        variants=tuple(_variant(where, str(name), v) for name, v in _mapping(data, "variants", where).items()),
        extra={k: v for k, v in data.items() if k not in KNOWN})


def _mapping(data: dict[str, Any], key: str, where: str) -> dict[Any, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise LabSpecError(f"{where}: {key}: expected a mapping, got {value!r}")
    return value


def _network(data: dict[str, Any], where: str) -> tuple[dict[str, str], dict[str, str]]:
    """`hosts:` (name -> IP, Docker's extra_hosts) and `sysctls:` (net.* only)."""
    hosts: dict[str, str] = {}
    for name, ip in _mapping(data, "hosts", where).items():
        try:
            hosts[str(name)] = str(ipaddress.ip_address(str(ip)))
        except ValueError as exc:
            raise LabSpecError(f"{where}: hosts.{name}: expected an IP address, got {ip!r}") from exc
    sysctls: dict[str, str] = {}
    for name, value in _mapping(data, "sysctls", where).items():
        if not SYSCTL_NAME.fullmatch(str(name)):
            raise LabSpecError(f"{where}: sysctls.{name}: only per-network-namespace net.* sysctls can be set")
        sysctls[str(name)] = str(value)
    return hosts, sysctls


def _variant(where: str, name: str, data: object) -> VariantSpec:
    """`fails: CHECK` (known-bad) or `passes: all` (known-good: full marks on every check)."""
    if not isinstance(data, dict):
        raise LabSpecError(f"{where}: variants.{name}: expected a mapping with `fails: CHECK` or `passes: all`")
    fails, passes = data.get("fails"), data.get("passes")
    if (fails is None) == (passes is None):
        raise LabSpecError(f"{where}: variants.{name}: give exactly one of `fails: CHECK` (a known-bad program) "
                           f"or `passes: all` (a known-good one)")
    if passes is not None and passes != "all":
        raise LabSpecError(f"{where}: variants.{name}.passes: expected 'all', got {passes!r}")
    if fails is not None and not isinstance(fails, str):
        raise LabSpecError(f"{where}: variants.{name}.fails: expected the name of a check, got {fails!r}")
    return VariantSpec(name=name, fails=fails, why=str(data.get("why", "")))
