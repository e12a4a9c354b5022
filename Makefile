# The README's commands. The real build is meson; this file only strings the
# steps together.
#   make run     install what is missing, build, start the demo server
#   make test    the whole test suite (unit + integration + browser)
#   make test-sanitize   the same suite built by clang with ASan + UBSan
#   make bench   every benchmark in bench/
#   make fuzz    short libFuzzer runs of every fuzz target

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
DATA       ?= data

.PHONY: all deps build run test test-unit test-integration test-browser test-sanitize bench fuzz clean format

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	@meson setup $(BUILD) >/dev/null

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

run: build
	$(BUILD)/switchboard serve --config examples/demo.yaml --data $(DATA)

test: build
	@$(MAKE) --no-print-directory test-unit test-integration test-browser SB_BUILD=$(BUILD)

SB_BUILD ?= $(BUILD)
test-unit:
	meson test -C $(SB_BUILD) --suite unit --print-errorlogs
test-integration:
	SB_BIN=$(abspath $(SB_BUILD))/switchboard node --test --test-concurrency=2 tests/integration/
test-browser:
	SB_BIN=$(abspath $(SB_BUILD))/switchboard node --test tests/browser/

$(ASAN_BUILD)/build.ninja:
	@CC=clang meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null

test-sanitize: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD) >/dev/null || ninja -C $(ASAN_BUILD)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(MAKE) --no-print-directory test-unit test-integration SB_BUILD=$(ASAN_BUILD)

bench: build
	@for b in bench/*; do [ -f "$$b" ] && [ -x "$$b" ] || continue; echo "== $$b"; SB_BIN=$(abspath $(BUILD))/switchboard "$$b" || exit 1; done

$(FUZZ_BUILD)/build.ninja:
	@CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined \
	  -Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false -Dbuildtype=debug >/dev/null

fuzz: deps $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) >/dev/null || ninja -C $(FUZZ_BUILD)
	@for t in $(FUZZ_BUILD)/tests/fuzz/fuzz_json $(FUZZ_BUILD)/tests/fuzz/fuzz_yaml $(FUZZ_BUILD)/tests/fuzz/fuzz_expr \
	         $(FUZZ_BUILD)/tests/fuzz/fuzz_sip $(FUZZ_BUILD)/tests/fuzz/fuzz_sdp $(FUZZ_BUILD)/tests/fuzz/fuzz_rtp; do \
	  name=$$(basename $$t); kind=$${name#fuzz_}; mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	  dict=""; [ -f tests/fuzz/$$kind.dict ] && dict="-dict=tests/fuzz/$$kind.dict"; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$t $$dict -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$kind \
	    > $(FUZZ_BUILD)/$$name.log 2>&1 || { tail -n 40 $(FUZZ_BUILD)/$$name.log; exit 1; }; \
	  grep -E '^#[0-9]+.*DONE' $(FUZZ_BUILD)/$$name.log | tail -n 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
