# The README's commands. Each installs missing Debian packages (apt-get), configures meson once,
# and rebuilds only what changed.
SHELL := /bin/bash
BUILD ?= build
SAN_BUILD ?= build-sanitize
TSAN_BUILD ?= build-tsan
NODNNL_BUILD ?= build-nodnnl
DATA ?= /usr/share/datasets/fashion-mnist
EPOCHS ?= 10
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := csv whitespace idx safetensors checkpoint model

PACKAGES := g++ meson ninja-build pkg-config libxtensor-dev libxtensor-blas-dev libxsimd-dev \
            libopenblas-dev liblapack-dev doctest-dev libbenchmark-dev zlib1g-dev \
            nlohmann-json3-dev libcli11-dev graphviz libdnnl-dev wamerican cmake
# The ASan+UBSan build (unit suite and fuzzers) is clang's: libFuzzer ships with its runtime.
SAN_PACKAGES := $(PACKAGES) clang-14 libclang-rt-14-dev
DEMO_PACKAGES := dataset-fashion-mnist gnuplot-nox
BENCH_PACKAGES := libtorch-dev

# $(call ensure,packages): apt-get install whatever is not installed yet.
define ensure
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
endef

.PHONY: all deps build check-format test test-nodnnl test-sanitize fuzz test-tsan test-accuracy test-accuracy-full demo bench clean

all: build

deps:
	$(call ensure,$(PACKAGES))

$(BUILD)/build.ninja:
	$(call ensure,$(PACKAGES))
	meson setup $(BUILD) --buildtype=release -Dwerror=true

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# Every tracked C++ file laid out as .clang-format says; clang-format names each line that differs.
# `git ls-files '*.cpp' '*.hpp' | xargs clang-format -i` applies it.
check-format:
	$(call ensure,clang-format git)
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

test: build
	meson test -C $(BUILD) --no-suite accuracy --no-suite accuracy-full --print-errorlogs

# The OpenBLAS-only build (what a machine without oneDNN gets), as a static library: the tensor
# suite, whose test_gemm_backend checks both paths agree, and the install test (pkg-config
# --static and the CMake package against libxgrad.a).
$(NODNNL_BUILD)/build.ninja:
	$(call ensure,$(PACKAGES))
	meson setup $(NODNNL_BUILD) --buildtype=release -Dwerror=true -Ddnnl=disabled -Dbenchmarks=false \
	  -Ddefault_library=static

test-nodnnl: deps $(NODNNL_BUILD)/build.ninja
	meson compile -C $(NODNNL_BUILD) tests/test_tensor xgrad examples/xgrad-train
	meson test -C $(NODNNL_BUILD) tensor install --no-rebuild --print-errorlogs

# One clang ASan+UBSan build serves the sanitizer suite and the fuzzers (-Dfuzzers=true). A
# build folder set up earlier with GCC is set up again.
define san_setup
	$(call ensure,$(SAN_PACKAGES))
	@if [ -f $(SAN_BUILD)/build.ninja ] && ! grep -q 'clang++-14' $(SAN_BUILD)/build.ninja; then \
	  echo "$(SAN_BUILD) was set up with another compiler: setting it up again with clang-14"; \
	  rm -rf $(SAN_BUILD); \
	fi
	@[ -f $(SAN_BUILD)/build.ninja ] || { set -x; CC=clang-14 CXX=clang++-14 meson setup $(SAN_BUILD) \
	  --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dbenchmarks=false -Dfuzzers=true; }
	@grep -q fuzz_csv $(SAN_BUILD)/build.ninja || meson setup --reconfigure $(SAN_BUILD) -Dfuzzers=true
endef

test-sanitize:
	$(san_setup)
	meson compile -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 XGRAD_CHECK_ONCE=1 \
	  meson test -C $(SAN_BUILD) --no-suite accuracy --no-suite accuracy-full --print-errorlogs --timeout-multiplier 4

# Each harness in fuzz/ for FUZZ_SECONDS (single job) from a scratch copy of its committed corpus
# (new inputs stay out of the repository), with its dictionary, leak detection on and a 2 GB
# memory limit. Any crash, leak, timeout or out-of-memory fails the target; libFuzzer writes the
# input to $(SAN_BUILD)/fuzz/artifacts/.
fuzz:
	$(san_setup)
	meson compile -C $(SAN_BUILD) $(addprefix fuzz/fuzz_,$(FUZZ_HARNESSES))
	@out=$(SAN_BUILD)/fuzz; mkdir -p $$out/artifacts; \
	for h in $(FUZZ_HARNESSES); do \
	  rm -rf $$out/corpus-$$h && cp -r fuzz/corpus/$$h $$out/corpus-$$h || exit 1; \
	  echo "=== fuzz_$$h: $(FUZZ_SECONDS) s (log: $$out/$$h.log)"; \
	  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $$out/fuzz_$$h $$out/corpus-$$h -dict=fuzz/$$h.dict -max_total_time=$(FUZZ_SECONDS) \
	    -rss_limit_mb=2048 -timeout=10 -detect_leaks=1 -print_final_stats=1 \
	    -artifact_prefix=$$out/artifacts/$$h- > $$out/$$h.log 2>&1; then \
	    grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)' $$out/$$h.log; \
	  else \
	    tail -n 150 $$out/$$h.log; echo "fuzz_$$h found a problem (input in $$out/artifacts/)"; exit 1; \
	  fi; \
	done

# ThreadSanitizer over the thread tests only (tests/threads): concurrent backward into shared
# leaves, the shared default generator. oneDNN is off there: it runs on libgomp, which is not
# built with TSan, so its worker threads' synchronisation would be invisible and reported as
# races (DESIGN.md); the products run on OpenBLAS, as in test-nodnnl.
$(TSAN_BUILD)/build.ninja:
	$(call ensure,$(PACKAGES))
	meson setup $(TSAN_BUILD) --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
	  -Dbenchmarks=false -Ddnnl=disabled

test-tsan: deps $(TSAN_BUILD)/build.ninja
	meson compile -C $(TSAN_BUILD) tests/test_threads
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  meson test -C $(TSAN_BUILD) threads --no-rebuild --print-errorlogs --timeout-multiplier 4

test-accuracy: build
	$(call ensure,$(DEMO_PACKAGES))
	meson test -C $(BUILD) --suite accuracy --print-errorlogs --timeout-multiplier 3

# The image trainers' full recipes over several seeds (about 40 minutes on 2 cores): the figures
# in the README. Not run by CI, whose accuracy stage runs the short recipes above.
test-accuracy-full: build
	$(call ensure,$(DEMO_PACKAGES))
	meson test -C $(BUILD) --suite accuracy-full --print-errorlogs --timeout-multiplier 3

demo: build
	$(call ensure,$(DEMO_PACKAGES))
	mkdir -p out
	$(BUILD)/examples/mnist --data $(DATA) --epochs $(EPOCHS) --plot out/demo

bench: build
	$(call ensure,$(BENCH_PACKAGES))
	meson configure $(BUILD) -Dcompare=enabled
	meson compile -C $(BUILD)
	$(BUILD)/bench/bench_ops --benchmark_min_time=0.2
	$(BUILD)/bench/compare

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) $(NODNNL_BUILD) out
