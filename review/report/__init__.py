"""The review's report: the methods paragraph computed from the review, the PRISMA diagram and
every evidence table under the headings a reader looks for, written as Markdown and DOCX
(`review report --out DIR`, the Tables page)."""
