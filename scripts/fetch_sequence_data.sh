#!/usr/bin/env bash
# Fetch the sequences domain's shipped data.
#   bash scripts/fetch_sequence_data.sh            # wheels into $SCIGAN_DATA or ~/.cache/scigan/wheels
#   bash scripts/fetch_sequence_data.sh DIR        # wheels into DIR
# 1. Two wheels, only *downloaded* and read as zip files (never installed or imported):
#      modlamp==4.3.3  (BSD-3)  antimicrobial vs UniProt peptides (modlamp/data/AMPvsUniProt.csv)
#      pyjaspar==4.0.0 (MIT; JASPAR data CC BY 4.0)  JASPAR SQLite count matrices (57 MB)
# 2. The E. coli 536 genome from the Debian package bowtie-examples (1.5 MB of FASTA): installed
#    with apt-get when running as root on a Debian/Ubuntu system; otherwise the command is printed.
set -euo pipefail
dest=${1:-${SCIGAN_DATA:-$HOME/.cache/scigan/wheels}}
mkdir -p "$dest"
python -m pip download --quiet --no-deps --dest "$dest" modlamp==4.3.3 pyjaspar==4.0.0
ls -1 "$dest"/modlamp-4.3.3-*.whl "$dest"/pyjaspar-4.0.0-*.whl
genome=/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz
if [ -f "$genome" ]; then
    echo "$genome"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y bowtie-examples >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y bowtie-examples >/dev/null; }) \
        && echo "$genome" \
        || echo "could not install bowtie-examples; the 'ecoli' dataset stays unavailable" >&2
else
    echo "for the 'ecoli' dataset run: sudo apt-get install bowtie-examples" \
         "(or set SCIGAN_ECOLI_FASTA to NC_008253.fna.gz)" >&2
fi
