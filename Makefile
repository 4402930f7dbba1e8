# newsstreams: `make run` starts everything with the sample articles, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

KAFKA_VERSION := $(shell sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/kafka/pom.xml)
KAFKA_LIBS    := build/kafka-$(KAFKA_VERSION)/libs
BROKERS       ?= tansu,kafka

.PHONY: run test install kafka kafka-broker unit integration fuzz ui-assets clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Apache Kafka's jars for the tests and `newsstreams broker --engine kafka`, from Maven Central (needs mvn, Java 17+)
$(KAFKA_LIBS)/.complete: deploy/kafka/pom.xml
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime \
	    -DoutputDirectory=$(abspath $(KAFKA_LIBS))
	touch $@

kafka: $(KAFKA_LIBS)/.complete

kafka-broker: install kafka   # a local Apache Kafka (KRaft, one node, data in a temporary folder) on port 9092
	$(BIN)/newsstreams broker --engine kafka

run: install
	$(BIN)/newsstreams run --demo

test: install kafka   # every integration test on both brokers (BROKERS=tansu runs without Java)
	$(BIN)/python -m pytest -q -p no:cacheprovider --brokers $(BROKERS)

unit: install
	$(BIN)/python -m pytest -q -m "not integration"

integration: install kafka
	$(BIN)/python -m pytest -q -m integration --brokers $(BROKERS)

fuzz: install     # a long hypothesis run over the parse and enrich functions (FUZZ_SECONDS, default 300)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

ui-assets: install   # rebuild the live view's world map from the npm package world-atlas (dev only; committed)
	rm -rf build/world-atlas && mkdir -p build/world-atlas
	cd build/world-atlas && npm pack --silent world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
	$(BIN)/python -m streams.ui.build_world build/world-atlas/package/countries-110m.json streams/ui/static/world.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
