"""Measuring: pure metric functions, plots (the only matplotlib import) and reports."""
