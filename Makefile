# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

.PHONY: install run test bench lint messages lock clean

install: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "): set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	@scripts/run.sh

test: install
	$(BIN)/python -m pytest

# Speed targets of the issues, measured on this machine (see bench/run.py):
# PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL is set, else var/bench.sqlite3.
bench: install
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .

# Regenerate the zh_Hans catalog after changing user-facing strings (needs GNU gettext).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete --no-location --ignore '.venv/*' --ignore 'staticfiles/*'
	DEBUG=1 $(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

# Re-pin dependencies after editing pyproject.toml.
lock: install
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
