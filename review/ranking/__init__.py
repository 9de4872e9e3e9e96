"""Prioritised screening, pure (no database): models, the stopping rule, simulation and the recall
plot.
"""
