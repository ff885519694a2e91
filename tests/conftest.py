"""Shared pytest configuration for the whole test tree. Keep it small."""


def pytest_addoption(parser):
    group = parser.getgroup("aot-wasm spec suite")
    group.addoption("--spec-no-simd", action="store_true", default=False,
                    help="leave out the simd_*.wast spec files (run by default)")
