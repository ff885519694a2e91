# The two commands of the README. Both set up a virtual environment in .venv first.
PY := .venv/bin/python

.PHONY: setup demo test spec clean

setup: .venv/.installed

.venv/.installed: pyproject.toml setup.py
	@command -v clang >/dev/null && command -v wasm-ld >/dev/null && command -v ld.lld >/dev/null || \
	  { echo "installing clang and lld (apt-get)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang lld; }
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(PY) examples/quickstart/demo.py

test: setup
	$(PY) -m pytest -q

spec: setup
	$(PY) -m tests.spec --strategy both

clean:
	rm -rf .venv demo-output build *.egg-info
