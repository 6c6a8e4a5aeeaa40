"""Replications, seeding and executors."""

from simsla.experiment.results import Results
from simsla.experiment.runner import simulate

__all__ = ["Results", "simulate"]
