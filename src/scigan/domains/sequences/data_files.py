"""Where the shipped sequence data live, and the one-line messages that say how to get them.

* E. coli 536 genome: Debian package ``bowtie-examples`` (``bash scripts/fetch_sequence_data.sh``
  runs ``apt-get install -y bowtie-examples`` as root); override with ``$SCIGAN_ECOLI_FASTA``.
* modlamp 4.3.3 (BSD-3) and pyjaspar 4.0.0 (MIT; JASPAR data CC BY 4.0) wheels, downloaded with
  ``pip download --no-deps`` into ``$SCIGAN_DATA`` or ``~/.cache/scigan/wheels`` and read as zip
  files — neither package is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

from scigan.data_wheels import find_wheel as _find_wheel
from scigan.data_wheels import wheel_dir  # noqa: F401  (re-exported)
from scigan.errors import DataError

DATA_ENV = "SCIGAN_DATA"
ECOLI_ENV = "SCIGAN_ECOLI_FASTA"
FETCH_COMMAND = "bash scripts/fetch_sequence_data.sh"
MODLAMP_WHEEL_HINT = "data wheel not found"
ECOLI_PATHS = (
    Path("/usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz"),
    Path("/usr/share/doc/bowtie-examples/examples/genomes/NC_008253.fna.gz"),
)


def find_wheel(filename: str) -> Path:
    """Path of a data wheel, or a DataError naming the command that fetches it."""
    return _find_wheel(filename, FETCH_COMMAND, "modlamp==4.3.3 pyjaspar==4.0.0")


def ecoli_fasta() -> Path:
    """The E. coli 536 genome FASTA (gzipped), or a DataError saying how to install it."""
    env = os.environ.get(ECOLI_ENV)
    candidates = [Path(env).expanduser()] if env else list(ECOLI_PATHS)
    for path in candidates:
        if path.is_file():
            return path
    raise DataError(
        f"E. coli genome not found at {candidates[0]}; install the Debian package with "
        f"`sudo apt-get install bowtie-examples` (or `{FETCH_COMMAND}` as root), or point "
        f"${ECOLI_ENV} at NC_008253.fna.gz"
    )
