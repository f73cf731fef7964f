"""CX Culture Lab's command line: ``cxlab`` (or ``python -m cxlab``), see ``cxlab.cli``."""
