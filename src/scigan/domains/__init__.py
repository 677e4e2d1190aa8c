"""Domains register themselves on import; heavy dependencies load lazily inside each."""

from scigan.domains import fields, molecules, proteins, sequences, tabular, toy  # noqa: F401
