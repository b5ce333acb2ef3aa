"""`python -m pipelines.cli …` runs the `audible-tracker` command."""

import sys

from pipelines.cli import main

sys.exit(main())
