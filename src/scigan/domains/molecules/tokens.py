"""SMILES and SELFIES tokenisers with a fitted vocabulary.

SMILES are split with the regular expression of Schwaller et al. 2019 (bracket atoms, two-letter
halogens and two-digit ring closures stay whole); SELFIES (Krenn et al. 2020) are split into their
bracketed symbols — every SELFIES string decodes to a valid molecule, which is why it is the
default alphabet of the generators.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scigan.domains.molecules import chem
from scigan.errors import DataError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
ALPHABETS = ("selfies", "smiles")
SMILES_REGEX = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|"
    r"%[0-9]{2}|[0-9])"
)


def split_smiles(smiles: str) -> list[str]:
    """SMILES → tokens; raises DataError when characters are left over."""
    tokens = SMILES_REGEX.findall(smiles)
    if "".join(tokens) != smiles:
        raise DataError(f"cannot tokenise SMILES {smiles!r}")
    return tokens


@functools.lru_cache(maxsize=500_000)
def _selfies_symbols(smiles: str) -> tuple[str, ...]:
    """SMILES → SELFIES symbols (memoised: selfies' encoder costs ~0.3 ms a molecule)."""
    sf = chem.require_selfies()
    try:
        return tuple(sf.split_selfies(sf.encoder(smiles)))
    except sf.EncoderError as exc:
        raise DataError(f"cannot encode {smiles!r} as SELFIES ({exc})") from None


class Tokenizer:
    """Maps molecules (SMILES) ↔ integer token sequences in one alphabet.

    Index 0 is ``<pad>``, 1 ``<bos>``, 2 ``<eos>``, 3 ``<unk>``; fitted symbols follow in sorted
    order, so the vocabulary is a deterministic function of the training set.
    """

    def __init__(self, alphabet: str = "selfies") -> None:
        if alphabet not in ALPHABETS:
            raise DataError(f"alphabet={alphabet!r} must be one of {', '.join(ALPHABETS)}")
        self.alphabet = alphabet
        self.vocab_: list[str] = list(SPECIALS)
        self._index: dict[str, int] = {t: i for i, t in enumerate(self.vocab_)}

    # ------------------------------------------------------------------ symbols
    def split(self, smiles: str) -> list[str]:
        """SMILES → symbols of this alphabet."""
        if self.alphabet == "smiles":
            return split_smiles(smiles)
        return list(_selfies_symbols(smiles))

    def join(self, symbols: Sequence[str]) -> str:
        """Symbols → SMILES (SELFIES are decoded; the result may still be invalid SMILES)."""
        text = "".join(symbols)
        if self.alphabet == "smiles":
            return text
        sf = chem.require_selfies()
        try:
            return sf.decoder(text)
        except sf.DecoderError:
            return ""

    # ------------------------------------------------------------------ vocabulary
    def fit(self, symbol_lists: Sequence[Sequence[str]]) -> Tokenizer:
        counts: Counter[str] = Counter()
        for s in symbol_lists:
            counts.update(s)
        self.vocab_ = list(SPECIALS) + sorted(counts)
        self._index = {t: i for i, t in enumerate(self.vocab_)}
        return self

    @property
    def size(self) -> int:
        return len(self.vocab_)

    def to_ids(self, symbol_lists: Sequence[Sequence[str]], length: int) -> np.ndarray:
        """``(N, length)`` int64: symbols, then ``<eos>``, then ``<pad>`` (truncated at length)."""
        out = np.zeros((len(symbol_lists), length), dtype=np.int64)
        unk, eos = self._index[UNK], self._index[EOS]
        for i, s in enumerate(symbol_lists):
            ids = [*[self._index.get(t, unk) for t in s][: length - 1], eos]
            out[i, : len(ids)] = ids
        return out

    def from_ids(self, ids: np.ndarray) -> list[str]:
        """``(N, L)`` ids → SMILES; reading stops at the first ``<eos>``/``<pad>``."""
        out = []
        for row in np.asarray(ids):
            symbols = []
            for t in row.tolist():
                if t in (0, 2):
                    break
                if t >= len(SPECIALS):
                    symbols.append(self.vocab_[t])
            out.append(self.join(symbols))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"alphabet": self.alphabet, "vocab": self.vocab_}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.alphabet = str(state["alphabet"])
        self.vocab_ = [str(t) for t in state["vocab"]]
        self._index = {t: i for i, t in enumerate(self.vocab_)}


def fit_length(lengths: Sequence[int], quantile: float = 0.999, cap: int = 128) -> int:
    """Sequence length covering ``quantile`` of the molecules (+1 for ``<eos>``), at most cap."""
    return int(min(cap, np.ceil(np.quantile(np.asarray(lengths), quantile)) + 1))
