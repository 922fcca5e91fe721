"""``python -m archer_gym ...`` is the ``archer`` command."""

import sys

from archer_gym.cli import main

sys.exit(main(prog_name="archer"))
