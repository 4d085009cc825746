#!/usr/bin/env bash
#  Installs the Debian packages certflow builds and runs with, when missing.
#  Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev libsodium-dev
    libprotobuf-c-dev protobuf-c-compiler
    liblmdb-dev lmdb-utils liblz4-dev
    libcmocka-dev libjson-c-dev libsystemd-dev libmicrohttpd-dev
    libcairo2-dev libpango1.0-dev fonts-noto-cjk libqrencode-dev
    poppler-utils zbar-tools
    systemd man-db dpkg-dev procps
    python3-zmq python3-protobuf protobuf-compiler
    clang libclang-rt-14-dev
    chromium
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null \
            | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "certflow: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "certflow: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    }
    sudo="sudo"
fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
