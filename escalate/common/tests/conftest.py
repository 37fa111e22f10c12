"""The security tests' figures are printed at the end of the run (see ``figures.py``)."""

from escalate.common.tests.figures import pytest_terminal_summary

__all__ = ["pytest_terminal_summary"]
