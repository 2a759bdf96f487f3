# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make edition   build the audio edition of content/ into output/
#   make test      run the tests (installs the tools that judge the output)
#   make natural-edition   the same edition in the natural voice (Piper)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: edition natural-edition test bench bench-serve bench-cluster

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

edition: $(BIN)/.installed
	$(BIN)/audio-guide build

natural-edition: $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[piper]'
	$(BIN)/audio-guide build --engine piper

test: $(BIN)/.installed
	bash tests/install-tools.sh
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

bench-serve: $(BIN)/.installed
	$(BIN)/python bench/serve.py

bench-cluster: $(BIN)/.installed
	$(BIN)/python bench/cluster.py --hours 0.5 --repeat 2
