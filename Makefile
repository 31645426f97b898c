# The README's two commands: `make app` and `make test`. The rest are conveniences.
.PHONY: app test setup ingest neo4j-start neo4j-stop lint

app: setup
	.venv/bin/ckg ingest -q
	.venv/bin/streamlit run app.py

test:
	scripts/test

setup:
	scripts/setup

ingest: setup
	.venv/bin/ckg ingest

neo4j-start:
	scripts/neo4j-dev start

neo4j-stop:
	scripts/neo4j-dev stop

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/mypy bench
