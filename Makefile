# ConvCanvas: `make run` sets up and starts the app, `make test` sets up and runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench lint clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: setup
	$(BIN)/python main.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: setup lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/deform.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/capture.py --graph bench/graphs/resnet50.convgraph.json --threads 1
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/canvas.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/undo.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/groups.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/mechanism.py
	$(BIN)/python bench/fuzz.py
	$(BIN)/python bench/grade.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/train.py
	$(BIN)/python bench/memory.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/panel.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/train_ui.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
