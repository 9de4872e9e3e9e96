"""Screening services: votes, screening state, conflicts, agreement, full texts, decision files
and prioritised order.
"""
