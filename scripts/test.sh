#!/usr/bin/env bash
# The project's own tests: lint and format check, type-check, then every Vitest project.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[test] biome check" >&2
biome check .
echo "[test] tsc --noEmit" >&2
tsc --noEmit
echo "[test] vitest run: the unit project, the integration project, then the lane groups" >&2
exec vitest run "$@"
