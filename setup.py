"""Builds the runtime's C support as a cffi extension (pyproject.toml holds the metadata)."""
from setuptools import setup

setup(cffi_modules=["runtime/_native_build.py:ffibuilder"])
