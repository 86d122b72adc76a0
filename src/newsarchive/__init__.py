"""newsarchive: archive news article snapshots, search them, cite them."""

__version__ = "0.1.0"
