"""Builds the artidx Python package (see pyproject.toml): `pip install .` runs this.

The extension module artidx._artidx is built by CMake from the project's own build definition
(python/CMakeLists.txt, over the same library targets the CLI links), configured with
-DARTIDX_BUILD_PYTHON=ON for the interpreter that installs; setuptools packages it with
python/artidx/. CMAKE_ARGS adds configure arguments; ARTIDX_PYTHON_BUILD_DIR names the CMake
build directory (default: build/python-package/cmake, reused by later installs).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
BUILD_BASE = "build/python-package"


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(artidx VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("ARTIDX_PYTHON_BUILD_DIR") or ROOT / BUILD_BASE / "cmake")
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DARTIDX_BUILD_PYTHON=ON",
                     f"-DPython_EXECUTABLE={sys.executable}"]
        # A new build directory is configured for the module alone; one already configured
        # (such as ./build, which scripts/test passes) keeps its settings and gains the module.
        if not (build_dir / "CMakeCache.txt").exists():
            configure += ["-DCMAKE_BUILD_TYPE=Release", "-DARTIDX_BUILD_TESTS=OFF",
                          "-DARTIDX_BUILD_BENCH=OFF"]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
        configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_artidx",
                        "--parallel", str(os.cpu_count() or 1)], check=True)
        built = build_dir / "python" / ("_artidx" + sysconfig.get_config_var("EXT_SUFFIX"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(
    version=project_version(),
    ext_modules=[Extension("artidx._artidx", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": BUILD_BASE}},
)
