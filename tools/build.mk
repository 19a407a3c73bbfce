# tools/build.mk - uipcs, uipcrm, uipcmk (and their kernel-backend twins).
#
# $(O)/tools/uipc{s,rm,mk}   the tools, on libuipc (linked statically)
# $(O)/tools/kernel/*        the same sources built with -DUIPC_TOOLS_KERNEL:
#                            they call the kernel's SysV API, so the tests
#                            can diff our printers against util-linux on the
#                            very same kernel objects.  Never installed.
# $(O)/tools/uhold           test helper (test-users.sh): holds objects.
# $(O)/tools/ipcscen{,-k}    test helper: builds a scenario of objects on
#                            uipc (or the kernel), then runs a command.
TOOLS       := uipcs uipcrm uipcmk
TOOLS_BIN   := $(TOOLS:%=$(O)/tools/%)
TOOLS_KBIN  := $(TOOLS:%=$(O)/tools/kernel/%) $(O)/tools/kernel/ipcscen
TOOLS_TBIN  := $(O)/tools/ipcscen $(O)/tools/uhold
TOOLS_COMMON := tools/ipcinfo.c tools/out.c
TOOLS_HDR   := tools/ipcinfo.h tools/out.h include/uipc.h

all: $(TOOLS_BIN)
CHECK_DEPS += $(TOOLS_BIN) $(TOOLS_KBIN) $(TOOLS_TBIN)

$(O)/tools/%: tools/%.c $(TOOLS_COMMON) $(TOOLS_HDR) $(LIB_A)
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itools -o $@ $< $(TOOLS_COMMON) $(LIB_A) $(LDLIBS)

$(O)/tools/kernel/%: tools/%.c $(TOOLS_COMMON) $(TOOLS_HDR)
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -DUIPC_TOOLS_KERNEL -Itools -o $@ $< $(TOOLS_COMMON) $(LDLIBS)

# The kernel twins alone: buildable while the library is not.
tools-kernel: $(TOOLS_KBIN)

INSTALL_EXTRA += install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1; \
	install -m 755 $(TOOLS_BIN) $(DESTDIR)$(BINDIR)/; \
	install -m 644 man/man1/uipcs.1 man/man1/uipcrm.1 man/man1/uipcmk.1 $(DESTDIR)$(MANDIR)/man1/;

.PHONY: tools-kernel
