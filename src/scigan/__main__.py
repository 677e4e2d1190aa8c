"""``python -m scigan`` (also the entry point for ``torchrun -m scigan``)."""

import sys

from scigan.cli import main

if __name__ == "__main__":
    sys.exit(main())
