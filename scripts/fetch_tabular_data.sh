#!/usr/bin/env bash
# Fetch the wheel files that hold the tabular domain's shipped experiment tables.
#   bash scripts/fetch_tabular_data.sh            # into $SCIGAN_DATA or ~/.cache/scigan/wheels
#   bash scripts/fetch_tabular_data.sh DIR        # into DIR
# The wheels are only *downloaded* and read as zip files; they are never installed
# (summit pins numpy<2 and would break the environment):
#   summit==0.8.4  (MIT)  Reizman 2016 Suzuki–Miyaura cases 1–4, Baumgartner 2019 C–N couplings
#   olymp==0.0.1b0 (MIT)  Olympus benchmark sets (hplc, photo_pce10, suzuki, ...)
set -euo pipefail
dest=${1:-${SCIGAN_DATA:-$HOME/.cache/scigan/wheels}}
mkdir -p "$dest"
python -m pip download --quiet --no-deps --dest "$dest" summit==0.8.4 olymp==0.0.1b0
ls -1 "$dest"/summit-0.8.4-*.whl "$dest"/olymp-0.0.1b0*.whl
