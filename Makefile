# presence: PGXS for the extension, plus the targets that run and test the whole product.

EXTENSION = presence
MODULE_big = presence
OBJS = extension/entry.o extension/cron_remote.o extension/ids.o extension/json_out.o
DATA = sql/presence--0.1.0.sql
PGFILEDESC = "presence - live roster of agent status"

PRESENCE_CXXFLAGS = -std=c++17 -Wno-register -fno-strict-aliasing
PG_CXXFLAGS = $(PRESENCE_CXXFLAGS) -Wall -Wextra -Wno-unused-parameter
PG_CPPFLAGS = -I$(libpq_srcdir)
SHLIB_LINK = -lstdc++ -lpq

# Tests run against a private server that pg_regress starts (test/regress/presence.conf
# preloads pg_cron). TEST_OUT must be writable by the user that runs the tests.
TEST_OUT ?= $(CURDIR)/build/test
REGRESS = $(sort $(basename $(notdir $(wildcard test/regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=test/regress --outputdir=$(TEST_OUT)/regress \
	--temp-instance=$(TEST_OUT)/regress/instance --temp-config=test/regress/presence.conf
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=$(TEST_OUT)/isolation \
	--temp-instance=$(TEST_OUT)/isolation/instance --temp-config=test/regress/presence.conf
# pg_regress makes its output directory but not the parents: installcheck makes them first.
REGRESS_PREP = test-out-dirs

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The LLVM bitcode step does not see PG_CXXFLAGS.
COMPILE.cxx.bc += $(PRESENCE_CXXFLAGS)

.PHONY: test-out-dirs deps test unit fcgi run start stop bench bench-http soak fuzz

test-out-dirs:
	@mkdir -p $(TEST_OUT)/regress $(TEST_OUT)/isolation

# Installs the Debian packages the build, the stack and the tests need (root only).
deps:
	@scripts/deps.sh

unit:
	$(MAKE) -C extension/test

fcgi:
	$(MAKE) -C fcgi

# Every suite; non-zero on any failure.
test:
	@scripts/test.sh

# Each libFuzzer harness for FUZZ_SECONDS (default 60) over its committed seed corpus.
fuzz:
	$(MAKE) -C test/fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60)

# Benchmarks (not tests: they assert nothing); figures in build/bench/, see bench/RESULTS.md.
bench:
	@bench/run.sh

# The HTTP benchmark alone (bench/RESULTS-http.md).
bench-http:
	@bench/roster_http.sh

# Load and soak: SOAK_SECONDS (default 600) of mixed requests, writes and sweeps, then more
# clients than worker threads on kept connections; figures in docs/reliability.md.
soak:
	@bench/soak.sh

run:
	@scripts/stack.sh run

start:
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop
