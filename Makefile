# netargus: `make demo` runs the lab with Airflow and the DAGs; `make test` runs every test.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)/include:$(CURDIR)
REQS := requirements.txt requirements-lab.txt requirements-dev.txt constraints.txt pyproject.toml

.PHONY: demo down status test test-unit lint bench venv system clean protos

system:
	@bash lab/install-system.sh

$(VENV)/.stamp: $(REQS)
	@echo "==> virtualenv $(VENV) (Debian's python3, pinned by constraints.txt)"
	@command -v uv >/dev/null || python3 -m pip install -q uv
	@[ -x $(PY) ] || uv venv -q $(VENV) --python /usr/bin/python3
	@uv pip install -q --python $(PY) -c constraints.txt \
	    -r requirements.txt -r requirements-lab.txt -r requirements-dev.txt -e .
	@touch $@

venv: system $(VENV)/.stamp

demo: venv
	@$(PY) -m lab demo

down:
	@$(PY) -m lab down; $(PY) -m lab down --test; $(PY) -m lab down --bench

status:
	@$(PY) -m lab status

test: venv lint
	@$(PY) -m pytest tests

test-unit: venv
	@$(PY) -m pytest tests -m "unit or dags"

bench: venv
	@bash lab/install-system.sh bench
	@$(PY) -m bench

lint: venv
	@$(VENV)/bin/ruff check include dags lab tests bench && echo "ruff: clean"
	@$(VENV)/bin/mypy && echo "mypy: clean"

clean: down
	rm -rf .lab .lab-test .lab-bench $(VENV)

# Regenerate the protobuf modules from include/netargus/proto/**/*.proto (grpcio-tools).
protos: venv
	@cd include && ../$(PY) -m grpc_tools.protoc -I . --python_out=. \
	    netargus/proto/cisco/telemetry_bis.proto netargus/proto/juniper/telemetry_top.proto \
	    netargus/proto/juniper/port.proto netargus/proto/tsorage/message.proto
	@cd include && ../$(PY) -m grpc_tools.protoc -I . --python_out=. --grpc_python_out=. \
	    netargus/proto/cisco/mdt_dialout.proto
