"""Puts the demo's sample exports and the example protocols into the built package.

They live at the top of the repository (sample_refs/, protocols/), where the tests, the
Makefile and the README use them and where an installed package cannot see them. This build
step copies what `review demo` reads into review/demo/data/ of the wheel; review/demo/files.py
finds them there. Everything else about the build is in pyproject.toml.
"""

import csv
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE_DATA = Path("review", "demo", "data")


def demo_data() -> dict[Path, Path]:
    """Each shipped file's place under review/demo/data/, with the repository file it is."""
    samples = HERE / "sample_refs"
    with open(samples / "manifest.csv", encoding="utf-8", newline="") as handle:
        exports = [row["file"] for row in csv.DictReader(handle)]
    names = ["README.md", "manifest.csv", "truth.csv", *exports]
    files = {Path("sample_refs", name): samples / name for name in names}
    protocols = HERE / "protocols"
    for path in sorted([*protocols.rglob("*.toml"), protocols / "README.md"]):
        files[Path("protocols", path.relative_to(protocols))] = path
    return files


class BuildWithDemoData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the clone's own folders
        for target, source in demo_data().items():
            destination = Path(self.build_lib, PACKAGE_DATA, target)
            self.mkpath(str(destination.parent))
            self.copy_file(str(source), str(destination))


setup(cmdclass={"build_py": BuildWithDemoData})
