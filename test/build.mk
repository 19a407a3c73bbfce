# test/build.mk - unit tests (Criterion), one binary per test/unit/*.c.
#
# Criterion must be built for the same C library as the tests.  When $(CC)
# cannot link it (musl-gcc: Debian's libcriterion is a glibc library), the
# same sources build with test/unit/minicrit.h, a small runner with the
# part of Criterion's interface they use.
UNIT_SRC := $(wildcard test/unit/*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(O)/test/unit/%)
# evaluated once, and only by a make that builds a unit test
HAVE_CRITERION = $(eval HAVE_CRITERION := $(shell printf \
	'$(HASH)include <criterion/criterion.h>\nTest(a, b) {}\n' | \
	$(CC) -x c - -o /dev/null -lcriterion >/dev/null 2>&1 && echo yes))$(HAVE_CRITERION)
UNIT_LIBS = $(if $(HAVE_CRITERION),-lcriterion,-DUIPC_MINICRIT)

$(O)/test/unit/%: test/unit/%.c test/unit/helpers.h test/unit/minicrit.h test/libc-compat.h $(LIB_A) include/uipc.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Isrc -Itest/unit $< -o $@ $(LIB_A) $(UNIT_LIBS) $(LDLIBS)

tests: lib $(UNIT_BIN) $(CHECK_DEPS)

check: tests
	O=$(O) ./test/run-all.sh
