# The two commands of the README. Both set up a virtual environment in .venv first.
PY := .venv/bin/python

.PHONY: setup demo test spec clean

setup: .venv/.installed

.venv/.installed: pyproject.toml setup.py
	bash scripts/install-system-deps.sh
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(PY) examples/quickstart/demo.py
	$(PY) examples/fractal/viewer.py --out demo-output/fractal
	$(PY) examples/canvas/canvas_demo.py --out demo-output/canvas
	$(PY) examples/photo/photo.py --out demo-output/photo
	@echo "demo: every image is in demo-output/ (fractal/, canvas/, photo/)"

test: setup
	$(PY) -m pytest -q

spec: setup
	$(PY) -m tests.spec --strategy both

clean:
	rm -rf .venv demo-output build *.egg-info
