# test/security/build.mk - secop, the attack suite's helper: one uipc
# call per invocation, its result printed as a number or an errno name.
SEC_BIN := $(O)/test/security/secop

$(SEC_BIN): test/security/secop.c $(LIB_A) include/uipc.h
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

CHECK_DEPS += $(SEC_BIN)
