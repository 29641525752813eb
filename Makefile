# `make serve` and `make test` set themselves up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  = $(VENV)/.installed-$(subst $(comma),-,$(PIP_EXTRAS))
PYTEST_ARGS ?= -n 2  # two xdist workers: the suite waits on student processes and services much of the time
# Optional extras `make setup` installs (comma-separated): torch = PyTorch's CPU build for the §3.8 `autograd`
# exercise (≈ 60 s and ≈ 750 MB once; its tests are part of `make test`).  `make setup EXTRAS=` skips it.
EXTRAS ?= torch
comma  := ,
PIP_EXTRAS := test$(if $(strip $(EXTRAS)),$(comma)$(strip $(EXTRAS)))
# torch is held to its CPU build (deploy/torch-cpu.txt): no install ever pulls a CUDA one
CONSTRAINTS := $(if $(findstring torch,$(EXTRAS)),-c deploy/torch-cpu.txt)

.PHONY: setup system-deps serve test bench lint wheels clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(PIP_EXTRAS)]' $(CONSTRAINTS)
	touch $(STAMP)

# Debian packages the test suite needs (browser tests: chromium; Japanese class-report charts and page
# screenshots: fonts-ipafont-gothic; sandbox: bubblewrap is optional).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || missing="$$missing fonts-ipafont-gothic"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -q $$missing >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null)); \
	  else echo "missing Debian packages:$$missing (browser tests and Japanese charts need them)"; fi; \
	fi

# Byte-compile our packages (also where PYTHONDONTWRITEBYTECODE is set): every `dlgrade` start reads .pyc.
setup: $(STAMP)
	@$(PY) -m compileall -q grader reference exercises api >/dev/null

serve: setup
	$(VENV)/bin/dlgrade serve --host 127.0.0.1 --port 8000

test: setup system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run_all.py

lint: setup
	$(VENV)/bin/hadolint Dockerfile

# Wheels for `docker build` where pip cannot reach an index inside the build (deploy/install.sh).
wheels: setup
	DLGRADE_WHEELS=deploy/wheels DLGRADE_EXTRAS=$(EXTRAS) sh deploy/install.sh wheels $(VENV) .

clean:
	rm -rf $(VENV) var .pytest_cache
