# bench/build.mk - the benchmark: uipc against the kernel, POSIX IPC, pipes,
# sockets.  `make bench` builds it and runs the full benchmark, writing
# $(O)/bench/results.csv and $(O)/bench/results.png; BENCH_FLAGS adds options
# (e.g. BENCH_FLAGS="--case pingpong" or BENCH_FLAGS=--quick).
BENCH_BIN := $(O)/bench/uipc-bench

$(BENCH_BIN): bench/uipc-bench.c include/uipc.h $(LIB_A)
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LIB_A) -lrt -lm $(LDLIBS)

all: $(BENCH_BIN)
CHECK_DEPS += $(BENCH_BIN)

bench: $(BENCH_BIN)
	$(BENCH_BIN) --csv $(O)/bench/results.csv --chart $(O)/bench/results.png $(BENCH_FLAGS)
