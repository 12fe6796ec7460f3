# devserver: `make run` serves the studio at http://127.0.0.1:17802, `make test` runs every test.
# Both set everything up first (Python venv with pinned torch, npm packages, frontend build).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FRONTEND := frontend
CHROMIUM ?= /usr/bin/chromium

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test dev bench setup frontend chromium redis schemas clean

run: setup frontend
	$(VENV)/bin/devserver models build-tiny --all
	$(VENV)/bin/devserver serve

test: setup frontend chromium redis
	$(VENV)/bin/devserver contracts export --check
	cd $(FRONTEND) && npm run --silent check:types && npm run --silent test:unit && npm run --silent size
	$(VENV)/bin/ruff check devserver tests bench examples
	$(PY) -m pytest tests

# Vite dev server (hot reload, proxies /api to Flask) next to the API server.
dev: setup
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	$(VENV)/bin/devserver serve & trap 'kill %1' EXIT; cd $(FRONTEND) && npm run dev

bench: setup frontend chromium redis
	$(PY) -m bench.bench_generation
	$(PY) -m bench.bench_upload
	$(PY) -m bench.bench_progress
	$(PY) -m bench.bench_models
	$(PY) -m bench.bench_celery
	$(PY) -m bench.bench_studio
	$(PY) -m bench.bench_enhanced
	$(PY) -m bench.bench_inpaint

setup: $(VENV)/.installed

# torch is installed first and pinned (constraints.txt) so nothing pulls the multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml constraints.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e ".[test]"
	$(PIP) install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

frontend: $(FRONTEND)/dist/index.html

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.package-lock.json $(shell find $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts -type f 2>/dev/null) $(wildcard schemas/json/*.json)
	cd $(FRONTEND) && npm run --silent build

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji) >/dev/null \
	  || { echo "could not install chromium: run as root or install the 'chromium' package"; exit 1; }; }

# The Celery backend's tests start their own Redis (Debian's redis-server) on a free port; no service is enabled.
redis:
	@command -v redis-server >/dev/null || { echo "installing Debian's redis-server"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null \
	  || { echo "could not install redis-server: run as root or install the 'redis-server' package"; exit 1; }; }

schemas: setup
	$(VENV)/bin/devserver contracts export

clean:
	rm -rf $(VENV) $(FRONTEND)/node_modules $(FRONTEND)/dist test-results
