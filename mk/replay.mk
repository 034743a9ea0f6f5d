# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmp-replay (tools/replay/): the replay engine, the built-in workloads and
# the tool; the demo (top Makefile) and the Check suite (tests/unit/
# test_replay.c) link the same engine sources.  `make check` also runs
# check-replay: the tool itself, byte-identical output, JSON, errors, and a
# workload written as a trace and replayed from it.

REPLAY_SRC := $(filter-out tools/replay/main.c,$(sort $(wildcard tools/replay/*.c)))
REPLAY_HDR := $(wildcard tools/replay/*.h)
REPLAY_BIN := $(B)/tools/pmp-replay

ALL_EXTRA += $(REPLAY_BIN)
CHECK_EXTRA += check-replay
TEST_SRC += $(REPLAY_SRC)

.PHONY: pmp-replay check-replay

pmp-replay: $(REPLAY_BIN)

$(REPLAY_BIN): tools/replay/main.c $(REPLAY_SRC) $(REPLAY_HDR) $(TOOLS_COMMON_SRC) \
		$(TOOLS_COMMON_HDR) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude $(TOOLS_FLAGS) $(SAN) -o $@ tools/replay/main.c \
		$(REPLAY_SRC) $(TOOLS_COMMON_SRC) $(LIB_A) -lz

# The unit tests include the engine's headers: rebuild when they change.
$(TEST_BIN): $(REPLAY_HDR)

check-replay: $(REPLAY_BIN)
	tools/replay/check.sh $(REPLAY_BIN) $(B)/replay-check

# bench_replay links the engine too (the pattern rule in the Makefile does not);
# scripts/bench-replay.sh runs pmp-replay itself under callgrind.
BENCH_BIN += $(B)/bench/bench_replay $(REPLAY_BIN)

$(B)/bench/bench_replay: bench/bench_replay.c bench/bench.h $(REPLAY_SRC) $(REPLAY_HDR) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -Itools -o $@ $< $(REPLAY_SRC) $(LIB_A)
