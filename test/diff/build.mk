# test/diff/build.mk - the kernel-oracle differential harness.
# The same sources are built twice: diff-kernel (System V calls) and
# diff-uipc (libuipc, static); test/diff/run.sh diffs their traces.
DIFF_SRC  := $(wildcard test/diff/*.c)
DIFF_HDR  := $(wildcard test/diff/*.h)
DIFF_KOBJ := $(DIFF_SRC:test/diff/%.c=$(O)/test/diff/kernel/%.o)
DIFF_UOBJ := $(DIFF_SRC:test/diff/%.c=$(O)/test/diff/uipc/%.o)
DIFF_BIN  := $(O)/test/diff/diff-kernel $(O)/test/diff/diff-uipc

$(O)/test/diff/kernel/%.o: test/diff/%.c $(DIFF_HDR)
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -DDIFF_KERNEL -Itest/diff -c $< -o $@

$(O)/test/diff/uipc/%.o: test/diff/%.c $(DIFF_HDR) include/uipc.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itest/diff -c $< -o $@

$(O)/test/diff/diff-kernel: $(DIFF_KOBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(DIFF_KOBJ) $(LDLIBS)

$(O)/test/diff/diff-uipc: $(DIFF_UOBJ) $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(DIFF_UOBJ) $(LIB_A) $(LDLIBS)

difftest: $(DIFF_BIN)
	O=$(O) test/diff/run.sh

all: $(DIFF_BIN)
CHECK_DEPS += $(DIFF_BIN)
tests: $(DIFF_BIN)

.PHONY: difftest
