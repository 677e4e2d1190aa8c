#!/usr/bin/env bash
# Install scigan into the active Python environment from this checkout.
#   bash scripts/install.sh            # core
#   bash scripts/install.sh dev        # core + test tools
#   bash scripts/install.sh all        # every optional domain dependency
# torch is pinned to the CPU-capable 2.13.0 wheel first so nothing pulls CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
python -m pip install --quiet "torch==2.13.0"
if [ -n "$extras" ]; then
    python -m pip install --quiet -e ".[${extras}]"
else
    python -m pip install --quiet -e .
fi
python -c "import scigan, torch; print('scigan', scigan.__version__, '| torch', torch.__version__)"
