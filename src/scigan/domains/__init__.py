"""Domains register themselves on import; heavy dependencies load lazily inside each."""

from scigan.domains import toy  # noqa: F401  (registers the toy domain and datasets)
