# Developer commands. Operators use the `propdesk` command inside .venv.
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format bench setup clean-db

run:            ## set up everything and start PropDesk with demo data on http://127.0.0.1:8000
	scripts/bootstrap run
	$(BIN)/propdesk setup --demo-if-empty
	$(BIN)/propdesk demo --print-logins
	$(BIN)/propdesk serve

test:           ## install what the tests need and run the whole suite
	scripts/bootstrap test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:           ## ruff, mypy and the migrations check
	scripts/bootstrap test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy propdesk
	$(BIN)/python manage.py makemigrations --check --dry-run

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench:          ## timed scenarios: BENCH_SCALE=full|small, BENCH_ONLY=substring; results in var/bench/ (docs/benchmarks.md)
	scripts/bootstrap test
	@case "$${BENCH_SCALE:-full}:$${BENCH_DATABASE_URL:-}" in full:*|*:postgres*) \
	  pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start;; esac
	$(BIN)/python -m benchmarks

clean-db:       ## delete the embedded database (demo data is rebuilt by make run)
	rm -f var/propdesk.sqlite3 var/propdesk.sqlite3-wal var/propdesk.sqlite3-shm
