"""Reading tables: shipped datasets (scikit-learn, summit and olymp wheel files) and user files.

Shipped experiment tables are read straight out of wheel files that
``bash scripts/fetch_tabular_data.sh`` downloads (``pip download --no-deps``; never installed)
into ``$SCIGAN_DATA`` or ``~/.cache/scigan/wheels``:

- ``summit==0.8.4`` (MIT; Felton et al. 2021): Reizman et al. 2016 Suzuki–Miyaura cases 1–4
  (``suzuki_case_1`` … ``suzuki_case_4``) and Baumgartner et al. 2019 C–N couplings
  (``cn_aniline``, ``cn_benzamide``);
- ``olymp==0.0.1b0`` (MIT; Häse et al. 2021): the Olympus sets (``olympus_hplc``,
  ``olympus_photo_pce10``, ``olympus_suzuki``, …), header-less CSVs whose column names are in
  each set's ``config.json``.

scikit-learn's ``breast_cancer``, ``wine`` and ``diabetes`` ship with scikit-learn (offline).

:func:`load_table` reads any of these, a user's CSV/Parquet file or a DataFrame, types and
validates it against its schema, and splits off the seeded hold-out; in table mode it also draws
the rows the engine trains on (training-by-sampling). :func:`write_table` writes samples.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scigan.core.checkpoint import atomic_write_text
from scigan.data_wheels import find_wheel as _find_wheel
from scigan.data_wheels import wheel_dir  # noqa: F401  (re-exported)
from scigan.domains.base import Dataset
from scigan.domains.tabular.encoding import _key, numeric_values
from scigan.domains.tabular.schema import Schema, build_schema, with_categories
from scigan.errors import DataError, MissingDependencyError
from scigan.limits import check_allocation, check_readable_file

FETCH_COMMAND = "bash scripts/fetch_tabular_data.sh"
SUMMIT_WHEEL = "summit-0.8.4-py3-none-any.whl"
OLYMP_WHEEL = "olymp-0.0.1b0-py3-none-any.whl"
CENSORED_YIELD = 0.9  # cn_benzamide records three yields as "≥90%"; read as 0.90 (a lower bound)
OPTIONS = (
    "conditions",
    "outcomes",
    "schema",
    "sum_to_one",
    "target",
    "goal",
    "holdout",
    "missing",
    "drop",
    "sampling",
    "max_modes",
    "max_columns",
    "projection",
    "energy",
)
# Training-by-sampling names a categorical target in every drawn row (issue 26): CTGAN's
# uniform choice among digits' 11 categorical columns named the class in 1 row of 11, and the
# pixels did not follow it (TSTR 0.40 → 0.80 at pac 1, seed 0; README "Wide numeric tables").
TARGET_NAMED = True
MIN_TRAIN_ROWS = 4096  # table mode: rows drawn by training-by-sampling for the engine
# A table wider than this is refused before it is parsed (a 1.3 MB CSV can hold 120,000
# columns); raise it with --set max_columns=N.
MAX_COLUMNS = 10_000


class IgnoredColumnsWarning(UserWarning):
    """Columns of the table that are neither conditions nor outcomes are not modelled."""


@dataclass
class TabularDataset(Dataset):
    """A table with its schema and a seeded train / hold-out split.

    ``samples`` and ``conditions`` are what the engine trains on (the training rows, or in
    table mode the rows drawn by training-by-sampling with their condition columns);
    ``train`` and ``holdout`` are the real rows, the hold-out never trained on.
    """

    schema: Schema | None = None
    train: pd.DataFrame | None = None
    holdout: pd.DataFrame | None = None


def find_wheel(filename: str) -> Path:
    """Path of a data wheel, or a DataError that names the command which fetches it."""
    return _find_wheel(filename, FETCH_COMMAND, "summit==0.8.4 olymp==0.0.1b0")


def _read_member(wheel: str, member: str) -> bytes:
    path = find_wheel(wheel)
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(member)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataError(
            f"{path}: cannot read {member} ({exc}); delete the file and run `{FETCH_COMMAND}`"
        ) from None


def _summit(member: str) -> pd.DataFrame:
    raw = _read_member(SUMMIT_WHEEL, f"summit/benchmarks/data/{member}")
    # Row 2 of summit's CSVs is a TYPE/DATA line; the first column is a row index.
    df = pd.read_csv(io.BytesIO(raw), skiprows=[1], index_col=0, encoding="utf-8-sig")
    df.index.name = None
    return df.reset_index(drop=True)


def _suzuki_case(k: int) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        return _summit(f"reizman_suzuki_case_{k}.csv")

    return load


def _cn_aniline() -> pd.DataFrame:
    return _summit("baumgartner_aniline_cn_crosscoupling.csv")


def _cn_benzamide() -> pd.DataFrame:
    df = _summit("baumgartenter_benzamide_cross_coupling.csv")
    y = df["yld"].astype(str).str.strip()
    df["yld"] = pd.to_numeric(y.where(y != "≥90%", str(CENSORED_YIELD)), errors="raise")
    return df


def _olympus(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        base = f"olympus/datasets/dataset_{name}/"
        config = json.loads(_read_member(OLYMP_WHEEL, base + "config.json"))
        cols = [p["name"] for p in config["parameters"]] + [
            m["name"] for m in config["measurements"]
        ]
        return pd.read_csv(io.BytesIO(_read_member(OLYMP_WHEEL, base + "data.csv")), names=cols)

    return load


def _sklearn(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        if name == "diabetes":
            bunch = datasets.load_diabetes(as_frame=True, scaled=False)
        else:
            loaders = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}
            bunch = loaders[name](as_frame=True)
        df = bunch.frame.copy()
        df.columns = [str(c).replace(" ", "_") for c in df.columns]
        return df

    return load


@dataclass(frozen=True)
class Shipped:
    """A registered table: how to read it and the options it is modelled with by default."""

    load: Callable[[], pd.DataFrame]
    size: str
    source: str
    licence: str
    description: str
    options: dict[str, Any] = field(default_factory=dict)


_SUZUKI_CONDITIONS = ["catalyst", "t_res", "temperature", "catalyst_loading"]
_SUZUKI_SCHEMA = {
    "t_res": {"type": "continuous"},
    "temperature": {"type": "continuous"},
    "catalyst_loading": {"type": "continuous"},
    "yld": {"type": "continuous", "low": 0.0, "high": 100.0},
    "ton": {"type": "continuous", "low": 0.0},
}
_CN_CONDITIONS = ["catalyst", "base", "base_equivalents", "temperature", "t_res"]
_CN_SCHEMA = {
    "base_equivalents": {"type": "continuous"},
    "temperature": {"type": "continuous"},
    "t_res": {"type": "continuous"},
    "yld": {"type": "continuous", "low": 0.0},
}

# name: (parameters are conditions, measurement is the outcome), goal, extra options
_OLYMPUS = {
    "hplc": ("1,386 × 7", "maximize", {}),
    "photo_pce10": (
        "1,040 × 5",
        "minimize",
        {"sum_to_one": [["mat_1", "mat_2", "mat_3", "mat_4"]]},
    ),
    "photo_wf3": (
        "1,040 × 5",
        "minimize",
        {"sum_to_one": [["mat_1", "mat_2", "mat_3", "mat_4"]]},
    ),
    "suzuki": ("247 × 5", "maximize", {}),
    "snar": ("66 × 5", "minimize", {}),
    "benzylation": ("73 × 5", "minimize", {}),
    "alkox": ("208 × 5", "maximize", {}),
    "fullerenes": ("246 × 4", "maximize", {}),
    "colors_bob": ("241 × 6", "minimize", {}),
    "colors_n9": ("102 × 4", "minimize", {}),
}
_OLYMPUS_COLUMNS = {
    "hplc": (
        [
            "sample_loop",
            "additional_volume",
            "tubing_volume",
            "sample_flow",
            "push_speed",
            "wait_time",
        ],
        "peak_area",
    ),
    "photo_pce10": (["mat_1", "mat_2", "mat_3", "mat_4"], "degradation"),
    "photo_wf3": (["mat_1", "mat_2", "mat_3", "mat_4"], "degradation"),
    "suzuki": (["temperature", "pd_mol", "arbpin", "k3po4"], "yield"),
    "snar": (["residence_time", "ratio", "concentration", "temperature"], "impurity"),
    "benzylation": (["flow_rate", "ratio", "solvent", "temperature"], "impurity"),
    "alkox": (["residence_time", "ratio", "concentration", "temperature"], "conversion"),
    "fullerenes": (["reaction_time", "sultine", "temperature"], "product"),
    "colors_bob": (["red", "orange", "yellow", "blue", "green"], "difference_to_green"),
    "colors_n9": (["red", "green", "blue"], "difference_to_green"),
}

SHIPPED: dict[str, Shipped] = {
    "breast_cancer": Shipped(
        _sklearn("breast_cancer"),
        "569 × 31",
        "scikit-learn (offline)",
        "CC BY 4.0 (UCI)",
        "Wisconsin diagnostic breast cancer; target: malignant (0) / benign (1)",
        {"schema": {"target": {"type": "categorical"}}, "target": "target"},
    ),
    "wine": Shipped(
        _sklearn("wine"),
        "178 × 14",
        "scikit-learn (offline)",
        "CC BY 4.0 (UCI)",
        "wine recognition; target: cultivar 0/1/2",
        {"schema": {"target": {"type": "categorical"}}, "target": "target"},
    ),
    "diabetes": Shipped(
        _sklearn("diabetes"),
        "442 × 11",
        "scikit-learn (offline)",
        "public domain (Efron et al. 2004)",
        "diabetes progression (unscaled); target: disease progression after one year",
        {"schema": {"target": {"type": "continuous"}}, "target": "target"},
    ),
}
for _k in range(1, 5):
    SHIPPED[f"suzuki_case_{_k}"] = Shipped(
        _suzuki_case(_k),
        "96 × 6" if _k < 4 else "97 × 6",
        f"wheel {SUMMIT_WHEEL} ({FETCH_COMMAND})",
        "MIT",
        f"Reizman et al. 2016 Suzuki–Miyaura case {_k}: catalyst, t_res, temperature, "
        "catalyst_loading → yld (%), ton",
        {
            "conditions": _SUZUKI_CONDITIONS,
            "outcomes": ["yld", "ton"],
            "schema": _SUZUKI_SCHEMA,
            "target": "yld",
        },
    )
SHIPPED["cn_aniline"] = Shipped(
    _cn_aniline,
    "96 × 6",
    f"wheel {SUMMIT_WHEEL} ({FETCH_COMMAND})",
    "MIT",
    "Baumgartner et al. 2019 C–N coupling (aniline): catalyst, base, base_equivalents, "
    "temperature, t_res → yld (fraction)",
    {"conditions": _CN_CONDITIONS, "outcomes": ["yld"], "schema": _CN_SCHEMA, "target": "yld"},
)
SHIPPED["cn_benzamide"] = Shipped(
    _cn_benzamide,
    "59 × 6",
    f"wheel {SUMMIT_WHEEL} ({FETCH_COMMAND})",
    "MIT",
    "Baumgartner et al. 2019 C–N coupling (benzamide); three '≥90%' yields read as 0.90",
    {"conditions": _CN_CONDITIONS, "outcomes": ["yld"], "schema": _CN_SCHEMA, "target": "yld"},
)
for _name, (_size, _goal, _extra) in _OLYMPUS.items():
    _params, _measure = _OLYMPUS_COLUMNS[_name]
    SHIPPED[f"olympus_{_name}"] = Shipped(
        _olympus(_name),
        _size,
        f"wheel {OLYMP_WHEEL} ({FETCH_COMMAND})",
        "MIT",
        f"Olympus {_name}: {', '.join(_params)} → {_measure} ({_goal})",
        {
            "conditions": _params,
            "outcomes": [_measure],
            "schema": {
                **{p: {"type": "continuous"} for p in _params},
                _measure: {"type": "continuous", "low": 0.0},
            },
            "target": _measure,
            "goal": _goal,
            **_extra,
        },
    )


def check_width(width: int, max_columns: int, where: str) -> None:
    """Refuse a table of more than ``max_columns`` columns (the ``max_columns`` option)."""
    if width > max_columns:
        raise DataError(
            f"{where}: {width:,} columns, over the limit of {max_columns:,}; drop columns, or "
            "raise the limit with --set max_columns=N (API: options={'max_columns': N})"
        )


def _max_columns(options: Mapping[str, Any]) -> int:
    value = options.get("max_columns", MAX_COLUMNS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(f"max_columns={value!r} must be a positive integer")
    return value


def _header_width(path: Path, sep: str) -> int | None:
    """Number of fields in the first record of a CSV, or None when it cannot be read here
    (pandas then reports the problem)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return len(next(csv.reader(fh, delimiter=sep), []))
    except (csv.Error, UnicodeDecodeError, OSError):
        return None


def read_table(path: Path, *, max_columns: int = MAX_COLUMNS) -> pd.DataFrame:
    """A user's CSV or Parquet file as a DataFrame (header row required).

    Before parsing: the file must be a regular file (a pipe or device is never opened), no
    wider than ``max_columns`` and small enough to fit in memory (:mod:`scigan.limits`).
    """
    if path.is_dir():
        raise DataError(f"{path}: is a directory; pass a .csv or .parquet file")
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path or use a registered dataset")
    size = check_readable_file(path, DataError, limit=sys.maxsize)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        # A parsed cell takes 8 bytes or more and at least 2 bytes of text ("1,"): the table
        # may need 4× the file.
        check_allocation(
            (max(size // 2, 1),),
            8,
            f"{path} (a {size}-byte table of up to {size // 2} cells)",
            DataError,
        )
        width = _header_width(path, "\t" if suffix == ".tsv" else ",")
        if width is not None:
            check_width(width, max_columns, str(path))
        try:
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        except pd.errors.EmptyDataError:
            raise DataError(
                f"{path}: the file is empty; it needs a header row and data rows"
            ) from None
        except pd.errors.ParserError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty file"
            raise DataError(f"{path}: not a readable CSV table ({first})") from None
        if len(df.columns) == 1:  # one column: maybe another delimiter than the extension's
            header = str(df.columns[0])
            other = next((s for s in (";", "\t", "|", ",") if s in header), None)
            if other is not None:
                fix = "rename it to .tsv" if other == "\t" else "save it comma-separated"
                raise DataError(
                    f"{path}: the header (line 1) looks {other!r}-separated, not "
                    f"{'tab' if suffix == '.tsv' else 'comma'}-separated; {fix}"
                )
    elif suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401  (optional: the `tabular` extra)
        except ImportError:
            raise MissingDependencyError(
                f"{path}: reading Parquet needs pyarrow; run `pip install 'scigan[tabular]'` "
                "(or `pip install pyarrow`), or save the table as CSV"
            ) from None
        _check_parquet(path, max_columns)
        df = pd.read_parquet(path, engine="pyarrow")
    else:
        raise DataError(f"{path}: unsupported table type '{path.suffix}'; use .csv or .parquet")
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed: ")]
    if unnamed:
        raise DataError(
            f"{path}: column {df.columns.get_loc(unnamed[0]) + 1} has no header; name every "
            "column in the first row"
        )
    return df


def _check_parquet(path: Path, max_columns: int) -> None:
    """Width and size from the Parquet footer, before the columns are read."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (ValueError, OSError):  # not Parquet: read_parquet reports it below
        return
    check_width(meta.num_columns, max_columns, str(path))
    check_allocation((meta.num_rows, meta.num_columns), 8, str(path), DataError)


def table_width(data: Any) -> int | None:
    """Number of columns of a CSV/Parquet file, read from its header (the file is not
    parsed), or of an in-memory DataFrame / mapping of columns; None for anything else (a
    registered name, a missing file)."""
    if isinstance(data, pd.DataFrame | Mapping):
        return len(data.columns) if isinstance(data, pd.DataFrame) else len(data)
    path = Path(data)
    suffix = path.suffix.lower()
    try:
        if not path.is_file():
            return None
        if suffix in (".csv", ".txt", ".tsv"):
            return _header_width(path, "\t" if suffix == ".tsv" else ",")
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_columns)
    except (ImportError, ValueError, OSError):
        return None
    return None


def load_frame(
    source: Any, *, max_columns: int = MAX_COLUMNS
) -> tuple[str, pd.DataFrame, dict[str, Any]]:
    """(name, table, default options) for a registered name, a file path or a DataFrame."""
    if isinstance(source, str) and source in SHIPPED:
        shipped = SHIPPED[source]
        return source, shipped.load(), dict(shipped.options)
    if isinstance(source, pd.DataFrame):
        check_width(len(source.columns), max_columns, "<in-memory>")
        return "<in-memory>", source.copy(), {}
    if isinstance(source, Mapping):
        check_width(len(source), max_columns, "<in-memory>")
        return "<in-memory>", pd.DataFrame(dict(source)), {}
    if isinstance(source, str | Path):
        return str(source), read_table(Path(source), max_columns=max_columns), {}
    raise DataError(
        f"tabular data must be a registered name, a .csv/.parquet path or a DataFrame, "
        f"got {type(source).__name__}"
    )


def split_holdout(
    df: pd.DataFrame, fraction: float, seed: int, stratify: str | None, *, stream: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, holdout) row indices; stratified on ``stratify`` when every level can be.

    The hold-out rows are never trained on: utility (TSTR), privacy (DCR) and per-condition
    metrics are computed against them. ``stream`` names the random stream (5: the test
    hold-out; :func:`validation_view` splits the training rows with another).
    """
    n = len(df)
    n_hold = round(fraction * n)
    if n_hold < 2 or n - n_hold < 2:
        raise DataError(
            f"{n} rows cannot be split into train and a {fraction:.0%} hold-out with at least "
            "2 rows each; add rows or change --set holdout=FRACTION"
        )
    rng = np.random.default_rng([seed, stream])
    if stratify is not None:
        labels = df[stratify].astype(str).to_numpy()
        hold: list[int] = []
        rest: list[int] = []
        for level in sorted(set(labels)):
            idx = rng.permutation(np.flatnonzero(labels == level))
            k = round(fraction * len(idx))
            k = min(max(k, 1 if len(idx) >= 3 else 0), len(idx) - 1)
            hold += idx[:k].tolist()
            rest += idx[k:].tolist()
        if len(hold) >= 2 and len(rest) >= 2:  # else (levels of 1–2 rows): not stratified
            return np.sort(np.array(rest)), np.sort(np.array(hold))
    perm = rng.permutation(n)
    return np.sort(perm[n_hold:]), np.sort(perm[:n_hold])


def resolve_options(source: Any, options: Mapping[str, Any]) -> tuple[str, pd.DataFrame, dict]:
    """(name, table, options) with a shipped dataset's defaults under the user's options."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(
            f"unknown tabular option(s) {unknown}; the tabular domain takes {', '.join(OPTIONS)}"
        )
    name, df, defaults = load_frame(source, max_columns=_max_columns(options))
    merged = {**defaults, **dict(options)}
    schema = dict(defaults.get("schema", {}))
    for col, spec in dict(options.get("schema") or {}).items():
        schema[col] = {**schema.get(col, {}), **dict(spec)}
    merged["schema"] = schema
    return name, df, merged


def load_table(source: Any, *, options: Mapping[str, Any], seed: int) -> TabularDataset:
    """Read, type, validate and split a table (the body of :meth:`TabularDomain.load`)."""
    name, df, opts = resolve_options(source, options)
    if len(df.columns) == 0 or len(df) == 0:
        raise DataError(f"{name}: the table is empty; it needs a header row and data rows")
    df.columns = [str(c) for c in df.columns]
    drop = list(opts.get("drop") or [])
    for c in drop:
        if c not in df.columns:
            raise DataError(
                f"{name}: cannot drop unknown column '{c}'; columns: {list(df.columns)}"
            )
    df = df.drop(columns=drop).reset_index(drop=True)
    df.index = pd.RangeIndex(1, len(df) + 1)  # "row i" in messages = the i-th data row
    missing = opts.get("missing", "model")
    if missing not in ("model", "drop", "error"):
        raise DataError(f"{name}: missing={missing!r} must be model, drop or error")
    empty = df.isna().to_numpy()
    if empty.any() and missing == "error":
        r, c = np.argwhere(empty)[0]
        raise DataError(
            f"{name}: row {df.index[r]}, column '{df.columns[c]}' is empty; fill it, or use "
            "--set missing=model (learn where cells are empty) or missing=drop"
        )
    if empty.any() and missing == "drop":
        df = df[~empty.any(axis=1)]
    if len(df) > 1 and (df.nunique(dropna=False) <= 1).all():
        raise DataError(
            f"{name}: every column is constant ({len(df)} identical rows); there is nothing to "
            "learn — check the file"
        )
    schema = build_schema(
        df,
        where=name,
        overrides=opts.get("schema"),
        conditions=opts.get("conditions"),
        outcomes=opts.get("outcomes"),
        sum_to_one=opts.get("sum_to_one"),
        target=opts.get("target"),
        goal=opts.get("goal", "maximize"),
    )
    for c in schema.conditions:
        empty_rows = df.index[df[c].isna().to_numpy()]
        if len(empty_rows):
            raise DataError(
                f"{name}: row {empty_rows[0]}, condition column '{c}' is empty; conditions must "
                "be known for every experiment — fill it or drop such rows with --set missing=drop"
            )
    schema = with_categories(schema, df)
    modelled = set(schema.names)
    ignored = [c for c in df.columns if c not in modelled]  # not a condition or outcome
    if ignored:
        warnings.warn(
            f"{name}: column(s) {ignored} are neither conditions nor outcomes and are not "
            "modelled; name them in conditions=[...] or outcomes=[...] to model them, or in "
            "drop=[...] to silence this warning",
            IgnoredColumnsWarning,
            stacklevel=2,
        )
    df = df[schema.names]
    _validate_constraints(df, schema, name)
    fraction = opts.get("holdout", 0.25)
    if not isinstance(fraction, int | float) or not 0.05 <= fraction <= 0.5:
        raise DataError(f"{name}: holdout={fraction!r} must be a fraction in [0.05, 0.5]")
    strat = _stratify_column(schema)
    try:
        tr, ho = split_holdout(df, float(fraction), seed, strat)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    train, holdout = df.iloc[tr], df.iloc[ho]
    sampling = opts.get("sampling", "empirical")
    if sampling not in ("empirical", "log"):
        raise DataError(f"{name}: sampling={sampling!r} must be empirical or log")
    info = {
        "mode": "experiment" if schema.experiment else "table",
        "n_rows": len(df),
        "n_train": len(train),
        "n_holdout": len(holdout),
        "columns": {c.name: c.kind for c in schema.columns},
        "conditions": schema.conditions,
        "outcomes": schema.outcomes,
        "target": schema.target,
        "holdout": float(fraction),
        "split_seed": seed,
        "ignored_columns": ignored,
    }
    ds = TabularDataset(name, train, None, info, schema=schema, train=train, holdout=holdout)
    if schema.experiment:
        ds.conditions = train[schema.conditions]
    else:
        _training_by_sampling(ds, sampling, seed)
    return ds


def _stratify_column(schema: Schema) -> str | None:
    """The column splits are stratified on: the first categorical condition, or in table mode
    a categorical target."""
    discrete_conds = [c for c in schema.conditions if schema.column(c).discrete]
    strat = discrete_conds[0] if discrete_conds else None
    if not schema.experiment and schema.column(schema.target).discrete:
        strat = schema.target
    return strat


VALIDATION_STREAM = 6  # random stream of the validation split (the test hold-out uses 5)


def validation_view(ds: TabularDataset) -> TabularDataset:
    """The dataset as training-time evaluations see it: the test hold-out replaced.

    The training rows are split (seeded by the split seed, stream :data:`VALIDATION_STREAM`,
    same fraction and stratification as the hold-out) into a "train" part and a "validation"
    part that plays the hold-out's role; schema, mode and info are kept. Everything that
    selects — the ``best`` checkpoint, any tuned setting — is scored on this view, so the test
    hold-out is read once, for the reported number. The validation rows are training rows
    (the model has seen them): selection scores are optimistic, never the reported ones.

    A table too small for two validation and two train rows splits its training rows in two
    halves; with fewer than 4 training rows both parts are all of them.
    """
    train = ds.train
    if train is None or ds.schema is None:
        raise DataError("a validation view needs a table loaded by the tabular domain")
    fraction = float(ds.info.get("holdout", 0.25))
    seed = int(ds.info.get("split_seed", 0))
    if len(train) < 4:
        part, val = train, train
    else:
        try:
            tr, va = split_holdout(
                train, fraction, seed, _stratify_column(ds.schema), stream=VALIDATION_STREAM
            )
        except DataError:  # too few rows for the fraction: two halves
            perm = np.random.default_rng([seed, VALIDATION_STREAM]).permutation(len(train))
            tr, va = np.sort(perm[len(train) // 2 :]), np.sort(perm[: len(train) // 2])
        part, val = train.iloc[tr], train.iloc[va]
    info = {**ds.info, "split": "validation", "n_train": len(part), "n_holdout": len(val)}
    return replace(ds, info=info, train=part, holdout=val)


def tuning_view(ds: TabularDataset) -> TabularDataset:
    """The dataset for choosing a default: fit on the training rows' train part, score on their
    validation part (:func:`validation_view`), the test hold-out untouched.

    Unlike :func:`validation_view` (training-time evaluations of a model fitted on all training
    rows), what the engine trains on — ``samples`` and ``conditions`` — is rebuilt from the
    train part exactly as :func:`load_table` builds it from the training rows, so the rows and
    their condition vectors stay paired and no validation row is trained on.
    """
    view = validation_view(ds)
    view = replace(view, samples=view.train, conditions=None, info=dict(view.info))
    if view.schema.experiment:
        view.conditions = view.train[view.schema.conditions]
    else:
        seed = int(ds.info.get("split_seed", 0))
        _training_by_sampling(view, str(ds.info.get("sampling", "empirical")), seed)
    return view


def _validate_constraints(df: pd.DataFrame, schema: Schema, name: str) -> None:
    """The real data must satisfy the declared bounds, steps and sum-to-one groups."""
    for spec in schema.columns:
        if spec.discrete or (spec.low is None and spec.high is None and spec.step is None):
            continue
        x = numeric_values(df[spec.name], spec, name)
        lo = -np.inf if spec.low is None else spec.low
        hi = np.inf if spec.high is None else spec.high
        bad = (x < lo) | (x > hi)
        if spec.step is not None:
            k = (x - (spec.low or 0.0)) / spec.step
            bad |= np.abs(k - np.round(k)) > 1e-6
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name}: row {df.index[i]}, column '{spec.name}': {float(x[i])!r} is outside the "
                f"declared low={spec.low}, high={spec.high}, step={spec.step}; fix the value or "
                "the schema"
            )
    for g in schema.sum_groups:
        x = np.stack([numeric_values(df[c], schema.column(c), name) for c in g["columns"]], 1)
        s = x.sum(axis=1)
        bad = ~(np.abs(s - g["total"]) <= 1e-3 * g["total"]) | (x < 0).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name}: row {df.index[i]}: columns {g['columns']} sum to {float(s[i])!r}, not "
                f"{g['total']} (or a value is negative); fix the row or drop the sum_to_one group"
            )


def _training_by_sampling(ds: TabularDataset, sampling: str, seed: int) -> None:
    """Rows and condition vectors for the engine's uniform sampler (CTGAN §4.3).

    Each drawn row names one categorical column and its level: a categorical target (the
    class label, :data:`TARGET_NAMED`) in every row, otherwise a column chosen uniformly. ``log``
    draws the level with probability ∝ log(1 + frequency) and then a row with that level, as
    in the paper; ``empirical`` (default) draws the row uniformly, which keeps the frequencies
    of the conditions the engine later samples from (its condition pool) unbiased.
    """
    schema, train = ds.schema, ds.train
    discrete = [c.name for c in schema.columns if c.discrete]
    if not discrete:
        ds.samples = train
        return
    rng = np.random.default_rng([seed, 17])
    m = max(MIN_TRAIN_ROWS, 4 * len(train))
    column = rng.integers(len(discrete), size=m)
    rows = rng.integers(len(train), size=m)
    if TARGET_NAMED and schema.target in discrete:  # the class label, in every row
        column = np.full(m, discrete.index(schema.target))
    if sampling == "log":
        for j, name in enumerate(discrete):
            pick = np.flatnonzero(column == j)
            labels = np.array([_key(v) for v in train[name].tolist()])
            levels, counts = np.unique(labels, return_counts=True)
            p = np.log1p(counts) / np.log1p(counts).sum()
            chosen = levels[rng.choice(len(levels), size=len(pick), p=p)]
            for level in levels:
                where = pick[chosen == level]
                rows[where] = rng.choice(np.flatnonzero(labels == level), size=len(where))
    samples = train.iloc[rows].reset_index(drop=True)
    cond = pd.DataFrame({n: pd.array([None] * m, dtype=object) for n in discrete})
    for j, name in enumerate(discrete):
        pick = np.flatnonzero(column == j)
        cond.loc[pick, name] = samples[name].iloc[pick].to_numpy(dtype=object)
    ds.samples, ds.conditions = samples, cond
    ds.info["n_sampled"] = m
    ds.info["sampling"] = sampling


def write_table(samples: Any, path: Path) -> None:
    """Samples (a DataFrame) as CSV, numbers with 10 significant digits, atomically."""
    if not isinstance(samples, pd.DataFrame):
        raise DataError("tabular samples must be a DataFrame")
    atomic_write_text(Path(path), samples.to_csv(index=False, float_format="%.10g"))
