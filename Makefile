# The whole product in two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint venv deps messages clean-db

$(STAMP): requirements/base.txt requirements/dev.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

venv: $(STAMP)

deps:
	bash scripts/debian_deps.sh

messages: venv
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

run: venv deps messages
	$(BIN)/python scripts/devstack.py

test: venv deps messages
	$(BIN)/python -m pytest -q -p no:randomly $(PYTEST_ARGS)

bench: venv messages
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy callcenter tenants agents customers conversations channels_app routing tickets portal workbench
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=callcenter.settings.test
