# Two commands on a fresh machine with Python 3.11+: `make run` (everything) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres browser lint format install clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

# Style, layering and types first (seconds), then the suite (with the real-browser tests: see `browser`).
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The whole suite again on PostgreSQL (Debian's postgresql; the tests start their own server in /tmp).
test-postgres: $(STAMP) browser
	HMS_TEST_POSTGRES=1 $(BIN)/python -m pytest

# The real-browser tests drive Debian's Chromium (never a downloaded browser). Installed here when it is missing and
# we can (root, with apt-get); otherwise the suite skips those tests and its last line says how many and how to install.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && \
		echo 'make: installing Chromium for the browser tests (apt-get install chromium chromium-driver)' && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium chromium-driver >/dev/null; } || \
		echo 'make: Chromium is missing and could not be installed here (needs root and apt-get): browser tests will be skipped'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Extract the user-facing strings, update each language's catalogue, compile them and check that nothing is missing,
# fuzzy or has other placeholders. The .po files are committed; compiled .mo files are not (the app compiles a
# catalogue in memory when no .mo is beside it).
LOCALES := hms/locale
LANGUAGES := de fr
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --sort-by-file --add-location=file --no-wrap \
		--project=HMS --copyright-holder="HMS contributors" -o $(LOCALES)/messages.pot hms pages jobs
	for lang in $(LANGUAGES); do \
		test -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po || \
			$(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang --no-wrap; \
	done
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(BIN)/pybabel compile -d $(LOCALES) --statistics
	$(BIN)/python -m hms.i18n.check
