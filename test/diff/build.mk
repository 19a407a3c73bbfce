# test/diff/build.mk - the kernel-oracle differential harness.
# The same sources are built three times: diff-kernel (System V calls),
# diff-uipc (libuipc, static) and diff-raw (every call through syscall(2),
# run on the kernel and under uipc-run --syscalls); test/diff/run.sh diffs
# their traces.
DIFF_SRC  := $(wildcard test/diff/*.c)
DIFF_HDR  := $(wildcard test/diff/*.h)
DIFF_KOBJ := $(DIFF_SRC:test/diff/%.c=$(O)/test/diff/kernel/%.o)
DIFF_UOBJ := $(DIFF_SRC:test/diff/%.c=$(O)/test/diff/uipc/%.o)
DIFF_ROBJ := $(DIFF_SRC:test/diff/%.c=$(O)/test/diff/raw/%.o)
DIFF_BIN  := $(O)/test/diff/diff-kernel $(O)/test/diff/diff-uipc $(O)/test/diff/diff-raw

$(O)/test/diff/kernel/%.o: test/diff/%.c $(DIFF_HDR)
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -fsanitize=%,$(BASE_CFLAGS) $(CFLAGS)) -DDIFF_KERNEL -Itest/diff -c $< -o $@

$(O)/test/diff/raw/%.o: test/diff/%.c $(DIFF_HDR) preload/semctl_arg.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -fsanitize=%,$(BASE_CFLAGS) $(CFLAGS)) -DDIFF_KERNEL -DDIFF_RAW -Itest/diff -Ipreload -c $< -o $@

$(O)/test/diff/uipc/%.o: test/diff/%.c $(DIFF_HDR) include/uipc.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itest/diff -c $< -o $@

$(O)/test/diff/diff-kernel: $(DIFF_KOBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(filter-out -fsanitize=%,$(BASE_CFLAGS) $(CFLAGS)) -o $@ $(DIFF_KOBJ) $(LDLIBS)

$(O)/test/diff/diff-raw: $(DIFF_ROBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(filter-out -fsanitize=%,$(BASE_CFLAGS) $(CFLAGS)) -o $@ $(DIFF_ROBJ) $(LDLIBS)

$(O)/test/diff/diff-uipc: $(DIFF_UOBJ) $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(DIFF_UOBJ) $(LIB_A) $(LDLIBS)

difftest: $(DIFF_BIN) $(PRELOAD_SO) $(PRELOAD_RUN)
	O=$(O) test/diff/run.sh
	O=$(O) test/diff/run.sh --raw

all: $(DIFF_BIN)
CHECK_DEPS += $(DIFF_BIN)
tests: $(DIFF_BIN)

.PHONY: difftest
