# test/pidns/build.mk - pidnsop, the helper of test-pidns.sh.
PIDNS_BIN := $(O)/test/pidns/pidnsop

$(PIDNS_BIN): test/pidns/pidnsop.c $(LIB_A) include/uipc.h src/layout.h
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Isrc -o $@ $< $(LIB_A) $(LDLIBS)

CHECK_DEPS += $(PIDNS_BIN)
