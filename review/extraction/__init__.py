"""Extraction services: studies and reports, entries, reconciliation, quality appraisal and the
evidence tables.
"""
