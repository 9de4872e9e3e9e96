"""review: evidence synthesis for systematic reviews.

Import, deduplicate, screen dual and blind, extract, report PRISMA 2020.
"""

__version__ = "0.1.0"
