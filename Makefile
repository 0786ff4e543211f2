# The two commands of the README's quick start, and a few more.
#   make demo   install missing Debian packages, build, run the story
#   make test   the same set-up, then every test under ASan+UBSan
#   make bench  benchmarks (printed figures and ratios)
BUILD      ?= build
TESTBUILD  ?= build-asan
MESON_OPTS ?=

.PHONY: all deps build demo test clean bench soak fuzz

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug $(MESON_OPTS)

# Every test runs in the sanitizer build; the summary line is counted
# from meson's test log.
test: deps $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C $(TESTBUILD) --print-errorlogs --num-processes 2 \
		--timeout-multiplier 2 || true
	@scripts/test-summary.py $(TESTBUILD)

clean:
	rm -rf $(BUILD) $(TESTBUILD)
