"""Patch series for Django's QuerySet.aiterator() and the tool that builds them."""

__version__ = "0.3.0"
