"""Shared pytest configuration for the whole test tree. Keep it small."""


def pytest_addoption(parser):
    group = parser.getgroup("aot-wasm spec suite")
    group.addoption("--spec-simd", action="store_true", default=False,
                    help="also run the simd_*.wast spec files (not run by default)")
