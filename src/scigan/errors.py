"""Exception classes: every user-facing failure is one of these, with a one-line message.

The CLI prints ``str(error)`` on one line and exits with code 2; the API raises the specific
class so callers can catch it. Each message names the file/row/column (where there is one)
and says how to fix the problem.
"""

from __future__ import annotations


class SciganError(Exception):
    """Base class of all errors scigan raises on purpose."""


class ConfigError(SciganError, ValueError):
    """A hyperparameter, flag or config file is invalid."""


class DataError(SciganError, ValueError):
    """Input data cannot be read or is not valid for the chosen domain."""


class UnknownNameError(SciganError, KeyError):
    """A registered name (dataset, domain, loss, metric) does not exist."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class CheckpointError(SciganError):
    """A checkpoint or run folder is missing, corrupt or not a scigan checkpoint."""


class OutputError(SciganError, OSError):
    """An output path cannot be written."""


class TrainingDivergedError(SciganError, RuntimeError):
    """Training failed repeatedly (NaN, exploding gradients or collapse) despite rollbacks."""


class MissingDependencyError(SciganError, ImportError):
    """An optional dependency (e.g. rdkit) is needed: install the named extra."""
