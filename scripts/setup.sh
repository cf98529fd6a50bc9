#!/usr/bin/env bash
# One idempotent set-up: a local virtualenv with animeid and everything it uses.
# torch is pinned to the CPU wheel that lies on this machine kind's disk; any other
# spelling pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.animeid-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[export,faces,classical,plots,genres,serve,demo,test]"
  touch "$stamp"
else
  # keep the editable install pointing at this checkout (a fresh clone in another folder)
  .venv/bin/python -c "import animeid, pathlib, sys; sys.exit(0 if pathlib.Path(animeid.__file__).resolve().is_relative_to(pathlib.Path('src').resolve()) else 1)" 2>/dev/null \
    || .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
fi
