"""The compiled part of Minga: the floating-point filter of the Method of Equal Shares
(minga/voting/pb/_mesfilter.c; docs/adr/0002-compiled-mes-filter.md). Everything else is in
pyproject.toml. The extension is optional: without a C compiler Minga installs and computes every
rule exactly in Python, only slower, and the test suite says so (test_pb_filter.py)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "minga.voting.pb._mesfilter",
            ["minga/voting/pb/_mesfilter.c"],
            # IEEE double arithmetic, each operation rounded once: the error bounds assume it.
            # -O3 vectorises the passes over a project's supporters (their four independent
            # sums, so without reordering any sum): runs about 25 % faster than -O2.
            extra_compile_args=["-O3", "-fno-fast-math", "-ffp-contract=off", "-std=c11"],
            optional=True,
        )
    ]
)
