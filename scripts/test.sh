#!/usr/bin/env bash
# Set everything up, then run the tests that need nothing but this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -m "not shared_data" -p no:cacheprovider "$@"
