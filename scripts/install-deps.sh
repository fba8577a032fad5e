#!/usr/bin/env bash
# Installs every Debian package ringmq's build, tests, fuzzers and benchmarks need.
# Debian 12, as root (there is no sudo on a fresh image) or as a user with sudo. Idempotent:
# packages already installed at their candidate version are left alone, and apt-get update runs
# only when something is missing.
set -euo pipefail

readonly PACKAGES=(
  build-essential cmake ninja-build pkg-config g++
  clang-14 libclang-rt-14-dev lld-14
  liburing-dev libtbb-dev libssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev
  mosquitto mosquitto-clients libmosquitto-dev libpaho-mqtt-dev python3-paho-mqtt
  python3-matplotlib
  openssl
)

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps: run as root (or install sudo) to install packages" >&2
    exit 1
  fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != "installed" ]]; then
    missing+=("${pkg}")
  fi
done

if [[ "${#missing[@]}" -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"

# Package scripts must not start daemons (the mosquitto package would take port 1883, which
# scripts/run.sh gives to ringmq). A policy-rc.d that denies every start is in place for the
# install only, and only when the system has none of its own.
readonly POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "${POLICY}" ]]; then
  as_root sh -c "printf '#!/bin/sh\\nexit 101\\n' > ${POLICY} && chmod 755 ${POLICY}"
  trap 'as_root rm -f "${POLICY}"' EXIT
fi

as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >/dev/null
echo "install-deps: done"
