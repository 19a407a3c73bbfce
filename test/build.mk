# test/build.mk - unit tests (Criterion), one binary per test/unit/*.c.
UNIT_SRC := $(wildcard test/unit/*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(O)/test/unit/%)

$(O)/test/unit/%: test/unit/%.c test/unit/helpers.h $(LIB_A) include/uipc.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Isrc -Itest/unit $< -o $@ $(LIB_A) -lcriterion $(LDLIBS)

tests: lib $(UNIT_BIN) $(CHECK_DEPS)

check: tests
	O=$(O) ./test/run-all.sh
