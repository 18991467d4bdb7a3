# Docent developer entry points. `make run` and `make test` bootstrap .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.docent-installed
# Every package version, pinned (reproducible installs); `make lock` refreshes it.
CONSTRAINTS := installers/constraints.txt
# llama-cpp-python compiles from source; build it portable (no -march=native).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-fast bench lint install clean-venv package package-lean package-test \
	package-test-lean reader lock

# The embedder as the app runs it (ONNX Runtime, no torch), built from the bundled package's
# weights offline; resources/embedder/build.py checks it against the torch embedder.
EMBEDDER := resources/embedder/all-MiniLM-L6-v2/build.json

install: $(STAMP) $(EMBEDDER)

# RapidOCR (OCR) requires opencv-python, whose wheel carries Qt 5 and X11 libraries Docent
# never loads (about 115 MB in the package, and a second Qt beside PySide6's); OCR only
# needs cv2's image functions, which opencv-python-headless provides as the same cv2 module.
# pip cannot substitute one for the other, so every install that may pull opencv-python in
# is followed by this swap. Both own cv2/, so headless is reinstalled after the uninstall.
define USE_HEADLESS_OPENCV
$(PY) -m pip uninstall -y -q opencv-python
$(PY) -m pip install -q -c $(CONSTRAINTS) --force-reinstall --no-deps opencv-python-headless
endef

$(EMBEDDER): $(STAMP) resources/embedder/build.py
	$(PY) resources/embedder/build.py

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip setuptools wheel
	# CPU build of torch first, pinned, so nothing pulls the CUDA wheels.
	$(PY) -m pip install -c $(CONSTRAINTS) torch==2.13.0
	$(PY) -m pip install -c $(CONSTRAINTS) -e '.[dev]'
	$(USE_HEADLESS_OPENCV)
	touch $(STAMP)

# On Linux, first check the system libraries Qt's window system needs (one line naming the
# packages to install when one is missing: README, "System libraries (Linux)").
run: $(STAMP) $(EMBEDDER)
	$(PY) -m desktop.platform_check && $(VENV)/bin/docent-desktop

test: $(STAMP) $(EMBEDDER)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Everything but the tests marked slow (the real models, the engine process, the shared
# data sets): about 20 seconds, for the edit-test loop. make test runs them all.
test-fast: $(STAMP) $(EMBEDDER)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow"

bench: $(STAMP) $(EMBEDDER)
	$(PY) -m bench

# Rebuild the built-in reader adapter: training pairs from SQuAD dev articles 0-23 (needs
# ../shared/data), then the LoRA on the CPU (resources/reader/README.md).
reader: $(STAMP)
	$(PY) resources/reader/build.py
	$(PY) resources/reader/calibrate.py

lint: $(STAMP)
	$(VENV)/bin/ruff check engine desktop tests bench installers docs resources
	$(VENV)/bin/ruff format --check engine desktop tests bench installers docs resources
	$(PY) -m mypy engine

# The Linux bundle and tarball in dist/ (installers/README.md; other platforms there too).
package: $(STAMP) $(EMBEDDER)
	$(PY) -m pip install -c $(CONSTRAINTS) -e '.[package]'
	$(USE_HEADLESS_OPENCV)
	bash installers/linux/build.sh full

# The lean shape: no training stack (torch, transformers, PEFT); installers/README.md.
package-lean: $(STAMP) $(EMBEDDER)
	$(PY) -m pip install -c $(CONSTRAINTS) -e '.[package]'
	$(USE_HEADLESS_OPENCV)
	bash installers/linux/build.sh lean

# Unpack the tarball and run it with no Python and no network (builds it if missing).
package-test: $(STAMP)
	ls dist/docent-[0-9]*-linux-*.tar.gz >/dev/null 2>&1 || $(MAKE) package
	bash installers/linux/smoke_test.sh full

package-test-lean: $(STAMP)
	ls dist/docent-lean-*-linux-*.tar.gz >/dev/null 2>&1 || $(MAKE) package-lean
	bash installers/linux/smoke_test.sh lean

# Resolve pyproject.toml afresh (newest versions it allows) in a scratch venv and pin the
# result in $(CONSTRAINTS); then run make test and make package-test before committing it.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --upgrade pip setuptools wheel
	.venv-lock/bin/python -m pip install torch==2.13.0
	.venv-lock/bin/python -m pip install -e '.[dev,package]'
	# both OpenCV wheels, so both are pinned (USE_HEADLESS_OPENCV installs one after the other)
	.venv-lock/bin/python -m pip install opencv-python-headless
	{ sed -n '1,2p' $(CONSTRAINTS); .venv-lock/bin/python -m pip freeze --exclude-editable \
		| sed 's/+cpu$$//' | grep -v '^docent' | sort -f; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS) && rm -rf .venv-lock

clean-venv:
	rm -rf $(VENV)
