# leopard-dse: the two set-up commands are `make run` and `make test`.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
ifeq ($(CI),true)
  CMAKE_ARGS += -DLEOPARD_WERROR=ON
endif
BIN        := $(BUILD)/leopard-dse
DB         ?= results/db/leopard.db
BENCH      ?= OFF

.PHONY: all deps build run test test-asan bench bench-perhead figures fuzz format clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DLEOPARD_BUILD_BENCH=$(BENCH) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: the paper's experiment, then the default sweep into $(DB).
run: build
	$(BIN) reproduce
	@if $(BIN) sweep --help >/dev/null 2>&1 && [ -f dse/spaces/paper.yaml ]; then \
	  mkdir -p $(dir $(DB)); \
	  $(BIN) sweep --space dse/spaces/paper.yaml --suite paper --strategy grid --db $(DB) --name paper-grid; \
	  $(BIN) query --db $(DB) pareto | head -n 25; \
	fi

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@if [ -x scripts/test-extra.sh ]; then ./scripts/test-extra.sh $(BUILD); fi

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
test-asan: deps
	@# Warnings are errors in the Release build only: GCC 12 reports false -Wuninitialized inside
	@# Boost.Graph when ASan instruments it.
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEOPARD_SANITIZE=ON \
	  -DLEOPARD_BUILD_BENCH=OFF $(CMAKE_ARGS) -DLEOPARD_WERROR=OFF >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS) --target test_workloads test_models test_results test_dse \
	  test_property
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS) \
	  -R '^test_(core|workloads|models|results|dse|property):'

bench:
	@$(MAKE) --no-print-directory build BENCH=ON
	@if [ -x scripts/bench.sh ]; then ./scripts/bench.sh $(BUILD); else echo "no benchmarks yet"; fi

# Issue 16: per-head statistics (scripts/bench-perhead.sh; bench/RESULTS.md, "Per-head statistics").
bench-perhead:
	@$(MAKE) --no-print-directory build BENCH=ON
	@./scripts/bench-perhead.sh $(BUILD)

figures: build
	@if [ -x scripts/figures.sh ]; then ./scripts/figures.sh $(BUILD); else echo "no notebooks yet"; fi

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-asan

# libFuzzer harnesses (clang): each runs FUZZ_SECONDS (default 60).
fuzz: deps
	@./scripts/fuzz.sh
