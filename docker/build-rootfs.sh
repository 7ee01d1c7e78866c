#!/bin/sh
# Build the sandbox base root file system with debootstrap, for machines that
# can reach a Debian package mirror but no container registry.
#
#   sudo docker/build-rootfs.sh OUT.tar.gz [PACKAGE...]
#
# Writes a trimmed, gzipped root file system tarball to OUT.tar.gz, ready for
# `docker import OUT.tar.gz socklab-base:TAG` (grader/image.py does that and
# caches the tarball in ~/.cache/socklab-grader/). Needs root (debootstrap
# creates device nodes and chowns files). Installs debootstrap with apt-get
# when it is missing and apt-get exists.
#
# Environment:
#   SOCKLAB_SUITE    Debian suite (default bookworm: python3 is 3.11 there)
#   SOCKLAB_MIRROR   Debian mirror URL (default: the host's apt sources, else
#                    http://deb.debian.org/debian)
#   SOCKLAB_DEBOOTSTRAP_TARBALL
#                    a `debootstrap --make-tarball` file made on a connected
#                    machine with the same suite and packages: build with no
#                    network at all (--unpack-tarball)
set -eu

DEFAULT_PACKAGES="python3 python3-pytest python3-pytest-timeout python3-yaml python3-ntplib netbase procps"

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 2
fi
out=$1
shift
packages=${*:-$DEFAULT_PACKAGES}
suite=${SOCKLAB_SUITE:-bookworm}

say() { printf 'build-rootfs: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run \`sudo $0 $out\`"

# A Debian mirror from the host's apt sources (deb822 *.sources and one-line
# *.list files), skipping security and third-party repositories.
host_mirror() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v suite="$suite" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; ok = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
                    if ($i ~ /^Suites:/) { if ((" " $i " ") ~ (" " suite " ")) ok = 1 }
                    if ($i ~ /^Enabled:[ \t]*no/) ok = 0
                }
                split(uris, u, /[ \t]+/)
                if (ok && u[1] ~ /debian\/?$/ && u[1] !~ /security/) { print u[1]; exit }
            }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v suite="$suite" '
            $1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite && $i ~ /debian\/?$/ && $i !~ /security/) { print $i; exit }
            }' "$f"
    done
}
mirror=${SOCKLAB_MIRROR:-$(host_mirror | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 ||
        die "debootstrap is not installed and there is no apt-get to install it"
    say "installing debootstrap with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
fi

workdir=$(mktemp -d "${TMPDIR:-/var/tmp}/socklab-rootfs.XXXXXX")
trap 'rm -rf "$workdir"' EXIT INT TERM
root=$workdir/root
include=$(printf '%s' "$packages" | tr -s ' \n' ',,' | sed 's/,$//')

start=$(date +%s)
if [ -n "${SOCKLAB_DEBOOTSTRAP_TARBALL:-}" ]; then
    say "debootstrap $suite from $SOCKLAB_DEBOOTSTRAP_TARBALL (no network)"
    debootstrap --variant=minbase --include="$include" \
        --unpack-tarball="$(realpath "$SOCKLAB_DEBOOTSTRAP_TARBALL")" "$suite" "$root" "$mirror" >&2
else
    say "debootstrap $suite from $mirror with $include"
    debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >&2
fi
say "debootstrap took $(( $(date +%s) - start )) s"

# Trim: documentation (copyright files stay), manuals, translations, apt and
# dpkg caches, logs. Files Docker manages per container go too (hostname,
# resolv.conf); /etc/hosts is not created: Docker writes it.
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/locale/"* \
       "$root/usr/share/lintian" "$root/usr/share/linda" \
       "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"* "$root/var/cache/debconf/"*-old \
       "$root/var/lib/dpkg/"*-old "$root/var/log/"* \
       "$root/etc/hostname" "$root/etc/resolv.conf"
rm -rf "$root/dev/"* "$root/proc/"* "$root/sys/"* "$root/run/"* "$root/tmp/"*
# Keep later apt installs in the image equally slim.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/socklab-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF

# Smoke test in the chroot before anyone imports it.
chroot "$root" /usr/bin/python3 -c 'import pytest, pytest_timeout, yaml, ntplib, socketserver, json, asyncio, socket; socket.getservbyname("ntp", "udp")' ||
    die "the root file system lacks a required Python module"

mkdir -p "$(dirname "$out")"
tar --numeric-owner --one-file-system -C "$root" -czf "$out.partial" .
mv "$out.partial" "$out"
say "wrote $out ($(du -h "$out" | cut -f1), unpacked $(du -sh "$root" | cut -f1))"
