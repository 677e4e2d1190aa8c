"""scigan: generative adversarial networks for scientific data, judged with each field's metrics.

Public API::

    from scigan import Synthesizer
    gan = Synthesizer(domain="toy", steps=2000).fit("ring8", out="runs/ring8")
    samples = gan.sample(1000, seed=0)
    print(gan.evaluate(n=2000))          # every metric with its real-vs-real floor
    gan2 = Synthesizer.load("runs/ring8")
"""

from scigan._version import __version__
from scigan.api import Synthesizer
from scigan.config import TrainConfig
from scigan.domains.base import ExtrapolationWarning
from scigan.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    MissingDependencyError,
    OutputError,
    SciganError,
    TrainingDivergedError,
    UnknownNameError,
)
from scigan.registry import DATASETS, DOMAINS

__all__ = [
    "DATASETS",
    "DOMAINS",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExtrapolationWarning",
    "MissingDependencyError",
    "OutputError",
    "SciganError",
    "Synthesizer",
    "TrainConfig",
    "TrainingDivergedError",
    "UnknownNameError",
    "__version__",
]
