# newsstreams: `make run` starts everything with the sample articles, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install unit integration fuzz ui-assets clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(BIN)/newsstreams run --demo

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

unit: install
	$(BIN)/python -m pytest -q -m "not integration"

integration: install
	$(BIN)/python -m pytest -q -m integration

fuzz: install     # a long hypothesis run over the parse and enrich functions (FUZZ_SECONDS, default 300)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

ui-assets: install   # rebuild the live view's world map from the npm package world-atlas (dev only; committed)
	rm -rf build/world-atlas && mkdir -p build/world-atlas
	cd build/world-atlas && npm pack --silent world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
	$(BIN)/python -m streams.ui.build_world build/world-atlas/package/countries-110m.json streams/ui/static/world.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
