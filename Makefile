# Quartierslotse — the two commands a newcomer needs:
#   make run    install everything and start the whole system on embedded defaults
#   make test   install what tests need and run the whole suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)

.PHONY: run test install nlp knowledge train validate lint types clean system-deps services

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $$(scripts/find_python.sh) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=23.2,<24.1"
	$(PIP) install -q -c constraints.txt -e ".[test,dev]"
	@touch $(STAMP)

install: $(STAMP)

nlp: install
	$(PY) -m quartierslotse.cli nlp

knowledge: install
	$(PY) -m quartierslotse.cli knowledge init

train: nlp
	$(PY) -m quartierslotse.cli train

# production topology from local processes: nginx, 2 Rasa replicas, PostgreSQL, Redis, RabbitMQ
run-cluster: install system-deps nlp
	$(PY) -m quartierslotse.cli topology run

run: knowledge nlp
	$(PY) -m quartierslotse.cli run

validate: nlp
	$(VENV)/bin/rasa data validate --domain bot/domain --data data --config bot/config.yml --fail-on-warnings

system-deps:
	scripts/install_system_deps.sh

services: system-deps
	scripts/ensure_services.sh

test: install services knowledge nlp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/quartierslotse facts check
	$(VENV)/bin/quartierslotse answers build --check
	@mkdir -p build && $(VENV)/bin/quartierslotse answers export --format html --output build/antwortkatalog.html
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest hat keinen Test gefunden – das ist ein Fehler." >&2; exit 1; fi; \
	exit $$rc

lint: install
	$(VENV)/bin/ruff check .

# every package of pyproject.toml [tool.setuptools.packages.find], plus benchmarks (not tests)
TYPED := quartierslotse knowledge actions bot channels handoff advisor web security privacy runtime \
         insight safety storage benchmarks

types: install
	$(VENV)/bin/mypy $(TYPED)

clean:
	rm -rf build models var .pytest_cache
