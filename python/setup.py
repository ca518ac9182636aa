"""Build steps pyproject.toml cannot express: compile the Swift library, tag the wheel per platform."""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HEADER = REPO / "Sources" / "CLIPKitABI" / "include" / "clipkit.h"


def native_library() -> Path:
    """The library to ship: $CLIPKIT_LIBRARY, else a fresh `swift build -c release`."""
    given = os.environ.get("CLIPKIT_LIBRARY")
    if given:
        return Path(given)
    if not (REPO / "Package.swift").exists():
        raise RuntimeError("building clipkit needs the repository (Package.swift next to python/) or CLIPKIT_LIBRARY")
    swift = shutil.which("swift")
    if swift is None:
        raise RuntimeError("swift is not on PATH: install Swift 6 or set CLIPKIT_LIBRARY to a built libclipkit.so")
    subprocess.run([swift, "build", "-c", "release", "--product", "CLIPKitC"], cwd=REPO, check=True)
    out = subprocess.run([swift, "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out) / "libCLIPKitC.so"


class BuildWithSwift(build_py):
    def run(self):
        super().run()
        lib_dir = Path(self.build_lib) / "clipkit" / "_lib"
        shutil.rmtree(lib_dir, ignore_errors=True)  # no stale runtime libraries from an earlier build
        lib_dir.mkdir(parents=True)
        source = native_library()
        if not source.exists():
            raise RuntimeError(f"native library not found: {source}")
        shutil.copy2(source, lib_dir / "libclipkit.so")
        # Runtime libraries next to it (scripts/build-wheel.sh puts them there).
        for extra in os.environ.get("CLIPKIT_EXTRA_LIBS", "").split(os.pathsep):
            if extra:
                shutil.copy2(extra, lib_dir / Path(extra).name)
        include = Path(self.build_lib) / "clipkit" / "include"
        include.mkdir(parents=True, exist_ok=True)
        if HEADER.exists():
            shutil.copy2(HEADER, include / "clipkit.h")


class PlatformWheel(bdist_wheel):
    """The wheel holds a native library but no Python extension: py3-none-<platform>."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"build_py": BuildWithSwift, "bdist_wheel": PlatformWheel})
