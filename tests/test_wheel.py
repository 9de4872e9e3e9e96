"""The demo from an installed package, not from the clone.

Built as a release is (an sdist, then a wheel from the unpacked sdist, so MANIFEST.in and
setup.py are both tested), installed into a fresh virtual environment and run from a folder
outside the clone: `review demo` must find its sample exports and example protocol inside the
package. No network: the build uses this environment's setuptools, and the fresh environment
sees this one's dependencies through a .pth path line (which does not run this environment's
own .pth files, so the clone's editable `review` stays out of sight).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

import pytest
import sqlalchemy as sa

from review.duplicates import summary
from review.project import review_info
from review.store import Store
from review.store import schema as t
from review.store.records import list_sources
from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_refs"
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
DATA = "review/demo/data/"


@dataclass
class Installed:
    venv: Path
    wheel: Path
    env: dict[str, str]
    work: Path  # an empty folder outside the clone, the commands' working directory

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(args, cwd=self.work, env=self.env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
        return result

    def review(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "review"), *args)


def _need_a_build_backend() -> None:
    how = "pip install 'setuptools>=70.1' (it is in the test extra: pip install -e .[test])"
    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        missing("setuptools", how)
    major, minor = (int(n) for n in re.findall(r"\d+", version)[:2])
    if (major, minor) < (70, 1) and util.find_spec("wheel") is None:
        missing(f"a wheel build (setuptools {version} needs the wheel package)", how)
    pip = metadata.version("pip")
    if tuple(int(n) for n in re.findall(r"\d+", pip)[:2]) < (22, 3):
        missing(f"pip --python (pip {pip} is older than 22.3)", "pip install -U pip")


def _call(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    _need_a_build_backend()
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "REVIEW_DB", "VIRTUAL_ENV"}}
    env |= {"REVIEW_USER": "tester", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}

    dist, wheels = base / "dist", base / "wheels"
    sdist = _call([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                   "print(b.build_sdist(sys.argv[1]))", str(dist)], ROOT, env).split()[-1]
    with tarfile.open(dist / sdist) as tar:
        tar.extractall(base / "src", filter="data")
    (source,) = (base / "src").iterdir()
    _call([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
           "-w", str(wheels), str(source)], base, env)
    (wheel,) = wheels.glob("review-*.whl")

    target = base / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    # installed before the .pth below exists, so pip sees no other `review` to replace
    _call([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
           str(wheel)], base, env)
    site = _call([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                 base, env).strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(site, "dependencies-of-the-test-run.pth").write_text("\n".join(ours) + "\n")
    work = base / "work"
    work.mkdir()
    return Installed(target, wheel, env, work)


def test_the_wheel_ships_the_demo_data_and_not_the_sample_script(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = {n.removeprefix(DATA) for n in wheel.namelist() if n.startswith(DATA)}
    with open(SAMPLES / "manifest.csv", encoding="utf-8", newline="") as handle:
        exports = {row["file"] for row in csv.DictReader(handle)}
    assert {f"sample_refs/{n}" for n in exports | {"manifest.csv", "truth.csv"}} <= names
    assert "protocols/peer-support-self-harm.toml" in names
    assert {f"protocols/blocks/{p.name}" for p in (ROOT / "protocols" / "blocks").glob("*.toml")} \
        <= names
    assert "sample_refs/make_samples.py" not in names


def test_the_installed_package_is_the_one_that_runs(installed: Installed) -> None:
    out = installed.run(str(installed.venv / "bin" / "python"), "-c",
                        "import review, review.demo.files as f; d = f.demo_files(); "
                        "print(review.__file__); print(d.samples); print(d.protocol)").stdout
    module, samples, protocol = (Path(line).resolve() for line in out.splitlines())
    venv_dir = installed.venv.resolve()
    assert module.is_relative_to(venv_dir), module  # not the clone's editable install
    assert samples.is_relative_to(venv_dir) and protocol.is_relative_to(venv_dir)
    assert not samples.is_relative_to(ROOT)


def test_demo_from_the_installed_package(installed: Installed) -> None:
    db = installed.work / "demo" / "review.db"
    installed.review("demo", "--db", str(db))
    sources = json.loads(installed.review("sources", "--db", str(db), "--format", "json").stdout)
    with open(SAMPLES / "manifest.csv", encoding="utf-8", newline="") as handle:
        manifest = list(csv.DictReader(handle))
    assert {(s["file_name"], s["name"], s["kind"], s["record_count"]) for s in sources} == {
        (r["file"], r["source"], r["kind"], int(r["records"])) for r in manifest}
    with open(SAMPLES / "truth.csv", encoding="utf-8", newline="") as handle:
        works = {row["work_id"] for row in csv.DictReader(handle)}
    store = Store.open(db)
    try:
        result = summary(store)
        assert result.records == sum(int(r["records"]) for r in manifest)
        assert result.groups == len(works) < result.records  # deduplicated as the truth says
        with store.read() as conn:
            votes = conn.execute(sa.select(sa.func.count())
                                 .select_from(t.decisions)).scalar_one()
        assert votes > 0
    finally:
        store.close()


def test_demo_from_folders_given_on_the_command_line(installed: Installed,
                                                     tmp_path: Path) -> None:
    """A copy with two of the exports and a retitled protocol: what is built is the copy."""
    samples = tmp_path / "my samples"
    samples.mkdir()
    with open(SAMPLES / "manifest.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if r["file"] in {"pubmed.nbib", "grey_literature.ris"}]
        fields = reader.fieldnames or []
    with open(samples / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    for name in [r["file"] for r in rows] + ["truth.csv"]:
        shutil.copy(SAMPLES / name, samples / name)
    protocol = tmp_path / "copied.toml"
    text = PROTOCOL.read_text(encoding="utf-8")
    retitled = re.sub(r'(?m)^title = ".*"$', 'title = "A copied protocol"', text, count=1)
    assert retitled != text
    protocol.write_text(retitled, encoding="utf-8")

    db = installed.work / "copy.db"
    installed.review("demo", "--db", str(db), "--samples", str(samples),
                     "--protocol", str(protocol))
    store = Store.open(db)
    try:
        assert {(s["file_name"], s["record_count"]) for s in list_sources(store)} == {
            (r["file"], int(r["records"])) for r in rows}
        assert review_info(store).title == "A copied protocol"
    finally:
        store.close()
