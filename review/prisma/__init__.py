"""PRISMA 2020: the flow counts from the review, the diagram, the R template files."""
