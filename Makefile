# Thin wrapper over CMake. `make` installs missing Debian packages and builds;
# `make test` runs every test (normal build, then the ASan+UBSan+fuzz build).
BUILD     ?= build
SAN_BUILD ?= build-san
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build san test test-fast demo lint format clean

all: build

deps:
	@scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPQUIC_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

san: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	  -DPQUIC_WERROR=ON -DPQUIC_SANITIZE=ON -DPQUIC_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)

# Normal build first (fast feedback), then sanitizers and short fuzz runs.
test: build san
	@echo "== tests: $(BUILD) =="
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@echo "== tests: $(SAN_BUILD) (ASan + UBSan, fuzzers) =="
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)

# Only the normal build's tests, for quick iteration.
test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

bench-%: build
	@cmake --build $(BUILD) --target bench-$* -j $(JOBS)

lint: configure
	@scripts/lint.sh $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
