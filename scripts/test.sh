#!/usr/bin/env bash
# Installs dependencies, builds the release preset and runs every test (unit, integration, ...).
# Exits non-zero when the build or any test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
ctest --test-dir build/release --output-on-failure -j2
