# Convenience wrapper around CMake. The real build lives in CMakeLists.txt.
#
#   make / make build   configure build/ (RelWithDebInfo) and build in parallel
#   make demo           build, then analyze the bundled seed capture
#   make test           format-check, -Werror build + ctest in build/, then
#                       clang ASan+UBSan build + ctest in build-asan/
#   make check-gcc-clang  -Werror builds with gcc and clang (no tests run)
#   make fuzz           clang libFuzzer build in build-fuzz/, replay the fuzz
#                       regressions, then run each harness FUZZ_SECONDS
#                       (default 60; FUZZ_JOBS at once); fails on any finding
#   make format         clang-format -i on the C sources of src/ include/ tests/
#   make format-check   fail if clang-format would change anything
#   make clean          remove every build directory
#   make bench          Release build in build-bench/, then time ftpstall against
#                       the bare libpcap loop, tcpdump and tshark on a generated
#                       1 GiB capture (tests/bench/run-bench.sh, docs/performance.md);
#                       BENCH_SIZE=100M etc. scale it down
#
# Every configure step passes all the options it relies on, so re-running any
# target on an existing build directory reconfigures cleanly.

CMAKE      ?= cmake
CTEST      ?= ctest
CLANG_FORMAT ?= clang-format
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR     ?= OFF

ASAN_DIR   ?= build-asan
ASAN_CC    ?= clang
ASAN_BUILD_TYPE ?= Debug
ASAN_ENV   = ASAN_OPTIONS=detect_leaks=1 \
	     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Extra ctest arguments, e.g. make test CTEST_ARGS='-R unit'
CTEST_ARGS ?=
CTEST_FLAGS = --output-on-failure --no-tests=error $(CTEST_ARGS)

DEMO_PCAP  ?= captures/idle-timeout-421-reset.pcap

FORMAT_DIRS = $(wildcard src include tests)

# libFuzzer harnesses (tests/fuzz, docs/fuzzing.md).
FUZZ_DIR     ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1

# CMake's own make runs inside this one: without this, every step of the
# build says "Entering directory".
MAKEFLAGS += --no-print-directory

.DEFAULT_GOAL := build
# Targets run one after another; each CMake build is parallel inside.
.NOTPARALLEL:
.PHONY: all build demo test test-default test-asan check-gcc-clang \
	format format-check clean fuzz

all: build

build:
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DFTPSTALL_WERROR=$(WERROR) -DFTPSTALL_SANITIZE=OFF
	$(CMAKE) --build $(BUILD_DIR) --parallel $(JOBS)

demo: build
	./$(BUILD_DIR)/ftpstall analyze $(DEMO_PCAP)

test: format-check test-default test-asan

test-default:
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DFTPSTALL_WERROR=ON -DFTPSTALL_SANITIZE=OFF
	$(CMAKE) --build $(BUILD_DIR) --parallel $(JOBS)
	@status=0; $(CTEST) --test-dir $(BUILD_DIR) $(CTEST_FLAGS) || status=$$?; \
		sh tests/show-skipped.sh $(BUILD_DIR); exit $$status

# The compiler is given as a cache variable rather than through CC, because
# CC is only read when a build directory is first configured.
test-asan:
	CC=$(ASAN_CC) $(CMAKE) -S . -B $(ASAN_DIR) \
		-DCMAKE_C_COMPILER=$(ASAN_CC) \
		-DCMAKE_BUILD_TYPE=$(ASAN_BUILD_TYPE) \
		-DFTPSTALL_SANITIZE=ON -DFTPSTALL_WERROR=ON
	$(CMAKE) --build $(ASAN_DIR) --parallel $(JOBS)
	@status=0; $(ASAN_ENV) $(CTEST) --test-dir $(ASAN_DIR) $(CTEST_FLAGS) || status=$$?; \
		sh tests/show-skipped.sh $(ASAN_DIR); exit $$status

check-gcc-clang:
	@set -e; for cc in gcc clang; do \
		echo "== $$cc"; \
		$(CMAKE) -S . -B build-$$cc -DCMAKE_C_COMPILER=$$cc \
			-DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
			-DFTPSTALL_WERROR=ON -DFTPSTALL_SANITIZE=OFF; \
		$(CMAKE) --build build-$$cc --parallel $(JOBS); \
	done

fuzz:
	CC=$(FUZZ_CC) $(CMAKE) -S . -B $(FUZZ_DIR) \
		-DCMAKE_C_COMPILER=$(FUZZ_CC) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFTPSTALL_FUZZ=ON -DFTPSTALL_SANITIZE=ON -DFTPSTALL_TESTS=OFF \
		-DFTPSTALL_WERROR=ON
	$(CMAKE) --build $(FUZZ_DIR) --target fuzzers --parallel $(JOBS)
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

format:
	@command -v $(CLANG_FORMAT) >/dev/null || \
		{ echo "make format: $(CLANG_FORMAT) not found (apt-get install clang-format)" >&2; exit 1; }
	find $(FORMAT_DIRS) -type f \( -name '*.c' -o -name '*.h' \) -print0 | \
		xargs -0 -r $(CLANG_FORMAT) -i

format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || \
		{ echo "make format-check: $(CLANG_FORMAT) not found (apt-get install clang-format)" >&2; exit 1; }
	find $(FORMAT_DIRS) -type f \( -name '*.c' -o -name '*.h' \) -print0 | \
		xargs -0 -r $(CLANG_FORMAT) --dry-run -Werror

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) build-gcc build-clang $(FUZZ_DIR)

# Performance benchmark (tests/bench/run-bench.sh describes the BENCH_*
# overrides). Its Release build and generated captures (several GiB) live
# in $(BENCH_DIR); make clean removes them too.
BENCH_DIR  ?= build-bench
.PHONY: bench clean-bench
bench:
	BENCH_DIR=$(BENCH_DIR) CMAKE=$(CMAKE) JOBS=$(JOBS) bash tests/bench/run-bench.sh

clean: clean-bench
clean-bench:
	rm -rf $(BENCH_DIR)
