"""Build script: the Cython extensions ``hazelcast._codec`` and ``hazelcast._framing``.

* ``HAZELCAST_NO_EXTENSIONS=1``: build no extensions (a pure-Python install).
* ``HAZELCAST_REQUIRE_EXTENSIONS=1``: a failed extension build fails the build; otherwise (the default) a build
  without a working C compiler or without Cython installs the pure-Python twins instead.
* ``HAZELCAST_CYTHON_TRACE=1``: line tracing for coverage of the ``.pyx`` sources (tests only, never for release).

Flags are parsed by ``hazelcast/_flags.py``, the same code the package uses at run time.
"""

import importlib.util
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

_spec = importlib.util.spec_from_file_location(
    "_hazelcast_flags", os.path.join(os.path.dirname(os.path.abspath(__file__)), "hazelcast", "_flags.py")
)
_flags = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_flags)

NO_EXTENSIONS = _flags.flag_enabled(_flags.NO_EXTENSIONS_VAR) or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS = _flags.flag_enabled(_flags.REQUIRE_EXTENSIONS_VAR) and not NO_EXTENSIONS
TRACE = _flags.flag_enabled(_flags.CYTHON_TRACE_VAR)


class OptionalBuildExt(build_ext):
    """Cythonizes (only when extensions are actually built, so an sdist never regenerates C) and turns a failed
    extension build into a pure-Python install unless extensions are required."""

    def run(self):
        try:
            self.extensions = _cythonize(self.extensions)
            super().run()
        except Exception as e:  # Cython or the compiler missing or broken
            if REQUIRE_EXTENSIONS:
                raise
            self._report(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:
            if REQUIRE_EXTENSIONS:
                raise
            self._report(e)

    @staticmethod
    def _report(error):
        print(f"*** hazelcast-aio: the compiled extensions could not be built ({error}); "
              "installing the pure-Python fallback ***", file=sys.stderr)


def _cythonize(extensions):
    from Cython.Build import cythonize

    directives = {"language_level": "3", "embedsignature": True}
    if TRACE:
        directives["linetrace"] = True
    # force: the generated C depends on the directives (tracing), which cythonize does not track
    generated = cythonize(extensions, compiler_directives=directives, include_path=["src"], quiet=True, force=True)
    for ext, gen in zip(extensions, generated):  # keep setuptools' Extension objects, point them at the C files
        ext.sources = gen.sources
    return extensions


def _extensions():
    if NO_EXTENSIONS:
        print("*** hazelcast-aio: pure-Python build (HAZELCAST_NO_EXTENSIONS) ***", file=sys.stderr)
        return []
    from setuptools import Extension

    macros = [("CYTHON_TRACE_NOGIL", "1")] if TRACE else []
    extra = [] if os.name == "nt" else ["-O2"]
    return [
        Extension("hazelcast._codec", ["src/_codec.pyx"], define_macros=macros, extra_compile_args=extra),
        Extension("hazelcast._framing", ["src/_framing.pyx"], define_macros=macros, extra_compile_args=extra),
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
