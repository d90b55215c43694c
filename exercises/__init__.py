"""Exercises and real incidents reviewed, their after-action reviews and the improvement plan."""
