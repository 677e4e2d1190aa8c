"""The package version (a leaf module: imports nothing from scigan)."""

__version__ = "0.1.0"
