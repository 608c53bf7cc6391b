"""Pishraft's HTTP API and command line: thin layers over ``spatial``, ``layers`` and ``maps``."""
