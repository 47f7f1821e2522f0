# One venv, torch pinned and installed first, everything else held to it by constraints.txt.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint bench clean chromium

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/forgetlab run

# Headless Chromium for tests/reports/test_browser.py: apt-get installs Debian's chromium when
# it is missing and we may (root, or sudo without a password); otherwise those tests skip.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else SUDO=none; fi; \
	  if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then \
	    echo "warning: chromium missing and not installable here: the browser tests will skip"; \
	  else echo "installing chromium (apt-get) for the report tests"; \
	    $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq && \
	      $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
	    echo "warning: apt-get install chromium failed: the browser tests will skip"; fi; }

test: $(STAMP) chromium
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

test-slow: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts

# Avalanche (the peer benchmark) lives in its own venv that sees .venv's packages: its CUDA
# torchvision would break `import transformers` in .venv. BENCH_ARGS: e.g. --small, --write.
PEER := .venv-peer
$(PEER)/.installed: $(STAMP) constraints.txt
	test -x $(PEER)/bin/python || $(PY) -m venv $(PEER)
	$(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > \
	  "$$($(PEER)/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/forgetlab-venv.pth"
	$(PEER)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt avalanche-lib==0.6.0
	touch $@

bench: $(STAMP) $(PEER)/.installed
	HF_HUB_OFFLINE=1 $(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(PEER) runs .pytest_cache
