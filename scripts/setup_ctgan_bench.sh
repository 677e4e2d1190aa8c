#!/usr/bin/env bash
# Optional: a separate virtual environment with ctgan for the side-by-side tabular benchmark.
#   bash scripts/setup_ctgan_bench.sh            # creates .bench-ctgan-venv
#   python benchmarks/tabular.py --ctgan-python .bench-ctgan-venv/bin/python
# ctgan (and its rdt dependency) is Business Source Licensed: it is never a scigan dependency and
# never imported by scigan. It also needs pandas < 3, so it lives in its own environment and the
# benchmark talks to it through a worker process (benchmarks/_ctgan_worker.py) over CSV files.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.bench-ctgan-venv}
PY=${PYTHON:-python3.11}
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "torch==2.13.0"
"$VENV/bin/python" -m pip install --quiet -c <(echo "torch==2.13.0") "ctgan==0.12.1"
"$VENV/bin/python" -c "import ctgan, torch; print('ctgan', ctgan.__version__, '| torch', torch.__version__)"
