#!/usr/bin/env bash
# Run a command with the project's toolchain after making sure set-up is complete.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/setup.sh"
# shellcheck source=/dev/null
source "$here/setup.sh" --env
exec "$@"
