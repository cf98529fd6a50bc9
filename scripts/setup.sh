#!/usr/bin/env bash
# One idempotent set-up: a local virtualenv with animeid and everything it uses.
# torch is pinned to the CPU wheel that lies on this machine kind's disk; any other
# spelling pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.animeid-installed
usable_venv() {
  .venv/bin/python -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    && .venv/bin/python -m pip --version >/dev/null 2>&1
}
# a venv whose interpreter is gone, too old, or without pip (an interrupted creation) is rebuilt
if [ -e .venv ] && ! usable_venv; then
  echo "setup: .venv is unusable; recreating it" >&2
  "$PY" -m venv --clear .venv
  rm -f "$stamp"
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ scripts/setup.sh -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[export,faces,classical,plots,genres,serve,demo,test]"
  touch "$stamp"
else
  # keep the editable install pointing at this checkout (a fresh clone in another folder)
  .venv/bin/python -c "import animeid, pathlib, sys; sys.exit(0 if pathlib.Path(animeid.__file__).resolve().is_relative_to(pathlib.Path('src').resolve()) else 1)" 2>/dev/null \
    || .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
fi
