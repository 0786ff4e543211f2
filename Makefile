# The two commands of the README's quick start, and a few more.
#   make demo   install missing Debian packages, build, run the story
#   make test   the same set-up, then every test under ASan+UBSan
#   make bench  benchmarks (printed figures and ratios)
#   make deb    the Debian packages huce and huce-central (DEBBUILD/*.deb),
#               lintian, and the package test (README, "Debian packages")
BUILD      ?= build
TESTBUILD  ?= build-asan
MESON_OPTS ?=
DEBBUILD   ?= build-deb

.PHONY: all deps build demo test clean bench soak soak-model fuzz deb

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
	meson test -C $(TESTBUILD) --print-errorlogs --num-processes 4 \
		--timeout-multiplier 2 || true
	@scripts/test-summary.py $(TESTBUILD)

# dh with meson in a copy of the tree (scripts/deb.sh); about 30 s on 2
# cores, so `make test` builds and checks the packages too (t0800).
deb: deps
	@scripts/deb.sh $(DEBBUILD)

# Long runs, not part of `make test`.
#   make soak    1,000 kill -9 trials, the long load run and 1,000 seeds of
#                the model-checked random test (the plain build of make
#                demo; about 50 minutes on 2 cores, plus the model's)
#   make soak-model  the model's 1,000 seeds alone
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (clang)
#   make bench   huce beside PouchDB and the machine's limits (BENCH_QUICK=1
#                for a few minutes instead of ~25)
FUZZ_SECONDS ?= 300
SOAK_KILLS ?= 1000
SOAK_SEEDS ?= 1000
MODEL_SOAK = HUCE=$(CURDIR)/$(BUILD)/client/huce HUCE_SYNCD=$(CURDIR)/$(BUILD)/syncd/huce-syncd \
	HUCE_BUILDDIR=$(CURDIR)/$(BUILD) HUCE_SRCDIR=$(CURDIR) \
	python3 tests/model/model.py --seeds $(SOAK_SEEDS) --steps 40 --jobs 2

soak: build
	HUCE=$(CURDIR)/$(BUILD)/client/huce HUCE_SYNCD=$(CURDIR)/$(BUILD)/syncd/huce-syncd \
	HUCE_BUILDDIR=$(CURDIR)/$(BUILD) \
		tests/fault/crash.sh --kills $(SOAK_KILLS)
	HUCE=$(CURDIR)/$(BUILD)/client/huce HUCE_SYNCD=$(CURDIR)/$(BUILD)/syncd/huce-syncd \
	HUCE_BUILDDIR=$(CURDIR)/$(BUILD) HUCE_SRCDIR=$(CURDIR) \
	HUCE_LOAD_LAPTOPS=300 HUCE_LOAD_RECORDS=100 HUCE_LOAD_ROUNDS=5 HUCE_LOAD_THREADS=32 \
		bash tests/e2e/t0510-load.sh
	$(MODEL_SOAK)

# The model-checked random test alone (tests/model/model.py; 24 seeds of it
# are in make test): SOAK_SEEDS seeds, every 4th on PostgreSQL if installed.
soak-model: build
	$(MODEL_SOAK)

fuzz: deps
	@dpkg-query -W clang >/dev/null 2>&1 || apt-get install -y -qq clang libclang-rt-14-dev
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	@dpkg-query -W nodejs >/dev/null 2>&1 || command -v node >/dev/null || apt-get install -y -qq nodejs npm
	tests/bench/run.sh build-bench

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(DEBBUILD) build-bench build-fuzz
