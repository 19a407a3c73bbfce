# test/tsan/build.mk - the threaded stress for ThreadSanitizer (make tsan).
# An ordinary program, built only on demand: make tsan builds
# the library and it with -fsanitize=thread in build-tsan and runs it.
TSAN_BIN := $(O)/test/tsan/stress

$(TSAN_BIN): test/tsan/stress.c $(LIB_A) include/uipc.h
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

tsan-run: $(TSAN_BIN)
	./test/tsan/stress-run $(TSAN_BIN)

.PHONY: tsan-run
