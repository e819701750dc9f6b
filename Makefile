# Two set-up commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
GATESIM_PORT ?= 9100

.PHONY: run link test install lint format messages bench bench-scale migrate clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var/static
	$(PY) manage.py migrate --noinput

# The demo's printed links and the API's absolute URLs point at the server just started.
run: export PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
run: export DEMO_GATESIM_URL ?= http://127.0.0.1:$(GATESIM_PORT)
run: migrate
	@echo "$(PORTAL_BASE_URL)" > var/run-url
	$(PY) manage.py seed_demo
	@# A gate simulator holding the demo gates' access lists (docs/gatesim.md); it stops
	@# with the server.
	$(PY) -m tools.gatesim --port $(GATESIM_PORT) --data-dir var/gatesim \
	  --controllers-file var/gatesim/controllers.json --portal $(PORTAL_BASE_URL) \
	  --heartbeat 10 & SIM=$$!; trap "kill $$SIM 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

# A one-click rider link for the server `make run` started (its port), valid 10 minutes:
# make link [RIDER=R124] [NAME=韩梅梅] [GATE=<entry code>]
RIDER ?= R124
NAME ?= 韩梅梅
link: export PORTAL_BASE_URL ?= $(shell cat var/run-url 2>/dev/null || echo http://$(HOST):$(PORT))
link: install
	@$(PY) manage.py platform_assertion --platform demo --rider-id "$(RIDER)" --name "$(NAME)" \
	  $(if $(GATE),--gate "$(GATE)")

test: install
	mkdir -p var/static
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	$(PY) manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=static/vendor
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

# Every bench scenario on the demo data and on 1,000,000 riders / 10,000 communities /
# 5,000,000 events (generated once, kept), with the ratios; SCALE=small for a quick set.
bench-scale: install
	$(PY) -m bench.scale.run $(BENCH_ARGS)

clean:
	rm -rf var db.sqlite3
