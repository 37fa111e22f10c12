# Escalate: `make demo` serves the app with demo data; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FRONTEND := build/frontend/govuk/govuk-frontend.min.css
HOST_PORT ?= 127.0.0.1:8000
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test check fmt bench setup prerequisites lock clean
.PHONY: bench-web bench-connections bench-soak fuzz serve backup restore

prerequisites:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Escalate needs Python 3.11 or newer: install python3 (https://www.python.org/downloads/)."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "Escalate needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)."; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "Python's venv module is missing: install python3-venv."; exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "Escalate needs Node.js with npm for the GOV.UK Frontend assets: install Node.js 18 or newer (https://nodejs.org/)."; exit 1; }

$(INSTALLED): pyproject.toml requirements.lock | prerequisites
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip
	$(BIN)/python -m pip install $(PIP_QUIET) --constraint requirements.lock --editable '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json | prerequisites
	npm ci --no-audit --no-fund --loglevel=error

$(FRONTEND): node_modules/.package-lock.json scripts/build_frontend.py $(INSTALLED)
	$(BIN)/python scripts/build_frontend.py

setup: $(INSTALLED) $(FRONTEND)

demo: setup
	$(BIN)/escalate migrate --no-input -v 0
	$(BIN)/escalate load_policies
	$(BIN)/escalate seed_demo
	@echo "Escalate is running on http://$(HOST_PORT)/ with a notifications worker (stop with Ctrl+C)"
	$(BIN)/escalate notifications_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(BIN)/escalate runserver $(HOST_PORT)

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy escalate config benchmarks scripts conftest.py
	$(BIN)/lint-imports
	$(BIN)/escalate policy check escalate/policies/shipped/*.toml

test: check
	$(BIN)/pytest -n auto --dist loadfile

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/bench_deadlines.py
	$(BIN)/python benchmarks/bench_deadline_sweep.py

# Schemathesis with many more examples than the suite runs (decision 23), on SQLite or on
# DATABASE_URL; prints the requests tried and what they found.
fuzz: setup
	ESCALATE_FUZZ_EXAMPLES=200 ESCALATE_FUZZ_SCENARIOS=60 $(BIN)/pytest -m 'api_fuzz or form_fuzz' -q

# Pages under load at 100k and 1M escalations (PostgreSQL at BENCH_DATABASE_URL; see benchmarks/README.md).
bench-web: setup
	@command -v wrk >/dev/null 2>&1 || { echo "bench-web needs the wrk load generator: apt-get install -y wrk"; exit 1; }
	$(BIN)/python benchmarks/bench_web.py

# Connection per request, persistent connections and psycopg's pool, through the production
# gunicorn config (PostgreSQL at BENCH_DATABASE_URL, reset and seeded; benchmarks/README.md).
bench-connections: setup
	@command -v wrk >/dev/null 2>&1 || { echo "bench-connections needs the wrk load generator: apt-get install -y wrk"; exit 1; }
	$(BIN)/python benchmarks/bench_connections.py

# Ten minutes of the production stack under steady mixed traffic (PostgreSQL and Redis;
# benchmarks/README.md). ESCALATE_SOAK_SECONDS shortens it.
bench-soak: setup
	$(BIN)/python benchmarks/bench_soak.py

# The production stack on this machine over plain http (docs/deployment.md, decision 28):
# PostgreSQL, a shared cache, gunicorn and notification workers under honcho (Procfile).
# Each default can be overridden: make serve DATABASE_URL=postgres://... ESCALATE_BIND=127.0.0.1:8001
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/escalate_serve
ESCALATE_CACHE_URL ?= redis://127.0.0.1:6379/13
ESCALATE_BIND ?= 127.0.0.1:8000
ESCALATE_SITE_URL ?= http://$(ESCALATE_BIND)
SERVE_WORKERS ?= 2
ESCALATE_MEDIA_ROOT ?= $(CURDIR)/var/media
BACKUP_ROOT ?= $(CURDIR)/var/backups
SERVE_ENV = DATABASE_URL='$(DATABASE_URL)' ESCALATE_CACHE_URL='$(ESCALATE_CACHE_URL)' \
	ESCALATE_BIND='$(ESCALATE_BIND)' ESCALATE_SITE_URL='$(ESCALATE_SITE_URL)' \
	SERVE_WORKERS='$(SERVE_WORKERS)' ESCALATE_MEDIA_ROOT='$(ESCALATE_MEDIA_ROOT)'

# Only the default Redis may be replaced by the database's cache when it does not answer;
# a cache you name is used as named, or make serve stops and says why.
serve: setup
	$(SERVE_ENV) $(if $(filter file,$(origin ESCALATE_CACHE_URL)),ESCALATE_CACHE_FALLBACK=database) \
		$(BIN)/python scripts/serve.py

# A dated folder under BACKUP_ROOT: pg_dump of DATABASE_URL, a tar of ESCALATE_MEDIA_ROOT and
# a manifest of their sizes and SHA-256 (docs/deployment.md, "Backups").
backup: setup
	$(SERVE_ENV) $(BIN)/python scripts/backup.py --into '$(BACKUP_ROOT)'

# Restores BACKUP (a folder backup made) into the empty database RESTORE_DATABASE_URL and the
# empty folder RESTORE_MEDIA_ROOT, then verifies the history there. Run it as the owner role.
# The history is verified with ESCALATE_AUDIT_KEYS, by default make serve's own key.
SERVE_AUDIT_KEYS = $(or $(ESCALATE_AUDIT_KEYS),$(shell sed -n 's/^ESCALATE_AUDIT_KEYS=//p' var/serve/secrets.env 2>/dev/null))
restore: setup
	@test -n '$(BACKUP)' -a -n '$(RESTORE_DATABASE_URL)' -a -n '$(RESTORE_MEDIA_ROOT)' || { echo "make restore needs BACKUP=var/backups/<folder> RESTORE_DATABASE_URL=postgres://.../<new database> RESTORE_MEDIA_ROOT=<new folder>"; exit 2; }
	@echo "Restoring $(BACKUP) (the audit key is not printed)"
	@ESCALATE_AUDIT_KEYS='$(SERVE_AUDIT_KEYS)' $(BIN)/python scripts/restore.py '$(BACKUP)' --database-url '$(RESTORE_DATABASE_URL)' \
		--media-root '$(RESTORE_MEDIA_ROOT)'

# Refresh requirements.lock after changing dependencies in pyproject.toml.
lock: $(INSTALLED)
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) node_modules build db.sqlite3
