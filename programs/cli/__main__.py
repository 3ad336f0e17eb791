"""`python -m personaqa.programs.cli`: the `personaqa` command."""

import sys

from personaqa.programs.cli.app import main

sys.exit(main())
