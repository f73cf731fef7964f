"""CX Culture Lab's command line from a checkout: ``python run.py ...`` is ``cxlab ...``
(see ``cxlab.cli``; installed, the ``cxlab`` command works from any directory)."""

import sys

from cxlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
