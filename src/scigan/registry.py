"""One small Registry class; the registered name is the public word everywhere.

``DOMAINS`` maps a domain name to its :class:`~scigan.domains.base.AbstractDomain` subclass,
``DATASETS`` maps a dataset name to a :class:`DatasetInfo`. Domains register themselves when
:mod:`scigan.domains` is imported (lightweight: heavy dependencies are imported lazily).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from scigan.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → object mapping with helpful errors for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; usable as a decorator when ``obj`` is omitted."""

        def add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = item
            return item

        return add if obj is None else add(obj)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._items), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'; choose one of: {', '.join(sorted(self._items))}."
                + hint
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def names(self) -> list[str]:
        return sorted(self._items)


@dataclass(frozen=True)
class DatasetInfo:
    """What ``scigan datasets`` shows about a registered dataset."""

    name: str
    domain: str
    size: str
    source: str
    licence: str
    description: str = ""


DOMAINS: Registry[type] = Registry("domain")
DATASETS: Registry[DatasetInfo] = Registry("dataset")


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    DATASETS.register(info.name, info)
    return info
