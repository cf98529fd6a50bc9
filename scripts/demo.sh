#!/usr/bin/env bash
# Set everything up, then run the main job on the built-in default clip (pass --no-serve to skip the server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/animeid demo "$@"
