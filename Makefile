# mixlab: two commands for readers (make book, make test); see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.mixlab-installed
# PyTensor's C backend links to OpenBLAS through this config file (written by .ci/ensure-blas)
BLASRC  := $(VENV)/pytensorrc
export PYTENSORRC := $(CURDIR)/$(BLASRC)
JOBS    ?= 2
# nbval runs one notebook at a time: each gets both cores for its chains, so its time is its own (the
# per-notebook budget); the book build runs two at a time (.ci/execute_book.py), where only the total counts
NBVAL_JOBS ?= 1
# Seed shift of the nbval pass and the unit tests in 'make test': derived from the commit unless given
# (mixlab/_seedshift.py); the book build keeps the seeds readers see.
SEED_SHIFT ?= commit
SHIFTS  ?= 1 2 3
NB      ?=
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test lab venv lint unit integration course studies nbval robust build-book browser chromium bench clean help

help:
	@echo "make book   - create/update .venv, execute the notebooks and build the HTML book"
	@echo "make test   - lint, unit tests + doctests, integration tests, notebooks under nbval, book build, browser test"
	@echo "make lab    - JupyterLab on book/ in the tested environment"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make course - student notebooks (no solutions) and instructor notebooks, zipped, in _build/course/"
	@echo "make robust - every notebook and the seeded unit tests under other seeds (SHIFTS=\"1 2 3\", NB=book/...)"

venv: $(STAMP) $(BLASRC)

$(BLASRC):
	@.ci/ensure-blas $@

$(STAMP): requirements.txt pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  py=$$(.ci/find-python); \
	  echo "Creating $(VENV) with $$py"; \
	  "$$py" -m venv $(VENV); \
	fi
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || \
	  { echo "$(VENV) uses Python < 3.12; delete it (rm -rf $(VENV)) and run make again" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

book: build-book
	@echo "Book built: $(CURDIR)/_build/html/index.html"

build-book: $(STAMP) $(BLASRC)
	$(PY) .ci/execute_book.py
	$(VENV)/bin/jupyter-book build . -W -n --keep-going --builder html

lab: $(STAMP) $(BLASRC)
	$(VENV)/bin/jupyter lab book/

lint: $(STAMP)
	$(VENV)/bin/ruff check mixlab tests benchmarks book

# one pytest stage under the seed shift: $(call pytest_stage,<name>,<pytest arguments>)
define pytest_stage
	@shift=$(SEED_SHIFT); [ "$$shift" != commit ] || shift=$$($(PY) -m mixlab._seedshift commit); \
	echo "$(1) tests with seed shift $$shift (reproduce: make $(1) SEED_SHIFT=$$shift)"; \
	MPLBACKEND=Agg MIXLAB_SEED_SHIFT=$$shift $(VENV)/bin/pytest tests --ignore=tests/browser -n $(JOBS) -q $(2)
endef

unit: $(STAMP) $(BLASRC)
	$(call pytest_stage,unit,--doctest-modules mixlab --dist worksteal -m "not study and not integration")

# the tests that fit a model with a sampler end to end (marker 'integration', see tests/_shared.samples)
integration: $(STAMP) $(BLASRC)
	$(call pytest_stage,integration,--dist worksteal -m "integration and not study")

# the notebooks for a course: student (solutions removed) and instructor sets, each zipped
course: $(STAMP)
	$(PY) -m mixlab._course course --book book --out _build/course
	@echo "Course notebooks: $(CURDIR)/_build/course/{student,instructor}{/,.zip}"

# the scripts of mixlab.studies in their reduced modes (each writes a small table to a temporary directory)
studies: $(STAMP) $(BLASRC)
	$(call pytest_stage,studies,--dist loadfile -m study)

nbval: $(STAMP) $(BLASRC)
	$(PY) .ci/nbrun.py --shifts "$(SEED_SHIFT)" --jobs $(NBVAL_JOBS) --json _build/timings/nbval.json $(NB)

robust: $(STAMP) $(BLASRC)
	@for s in $(SHIFTS); do \
	  $(MAKE) --no-print-directory unit integration SEED_SHIFT=$$s || exit 1; \
	done
	$(PY) .ci/nbrun.py --shifts "$(SHIFTS)" --jobs $(JOBS) --table _build/robust.md $(NB)

chromium:
	@.ci/ensure-chromium

browser: $(STAMP) $(BLASRC) chromium
	$(VENV)/bin/pytest tests/browser -q

# each stage timed; the table at the end says how often and how long every notebook executed
test: chromium
	@mkdir -p _build/timings; rm -f _build/timings/stages _build/timings/nbval.json; date +%s > _build/timings/start
	@for stage in venv lint unit integration studies nbval build-book browser; do \
	  t0=$$(date +%s); $(MAKE) --no-print-directory $$stage; \
	  echo "$$stage $$(( $$(date +%s) - t0 ))" >> _build/timings/stages; \
	done
	@$(PY) .ci/timings.py
	@echo "make test: all checks passed"

bench: $(STAMP) $(BLASRC)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f; done

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
