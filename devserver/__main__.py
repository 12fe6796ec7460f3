"""``python -m devserver`` runs the CLI."""

import sys

from devserver.cli import main

sys.exit(main())
