# preload/build.mk - libuipc-preload.so and the uipc-run launcher.
#
# The shim links libuipc.a (position-independent objects) into itself and
# exports only the twelve SysV names (preload.map): one self-contained
# file, independent of any libuipc.so on the library path.  See preload.c.
PRELOAD_SO  := $(O)/preload/libuipc-preload.so
PRELOAD_RUN := $(O)/preload/uipc-run
PRELOAD_PROGS := $(patsubst preload/progs/%.c,$(O)/preload/progs/%,$(wildcard preload/progs/*.c))

all: $(PRELOAD_SO) $(PRELOAD_RUN)
CHECK_DEPS += $(PRELOAD_SO) $(PRELOAD_RUN) $(PRELOAD_PROGS)

PRELOAD_SRC := $(wildcard preload/*.c)

$(PRELOAD_SO): $(PRELOAD_SRC) preload/shim.h preload/preload.map $(LIB_A) include/uipc.h
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -shared \
		-Wl,--version-script=preload/preload.map -Wl,-z,defs \
		-o $@ $(PRELOAD_SRC) $(LIB_A) $(LDLIBS)

$(PRELOAD_RUN): preload/uipc-run.in VERSION
	$(call msg,GEN,$@)
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@LIBDIR@|$(LIBDIR)|g; s|@VERSION@|$(VERSION)|g' $< > $@
	$(Q)chmod 755 $@

# Test programs: plain SysV code, built against libc only (never uipc.h).
$(O)/preload/progs/%: preload/progs/%.c $(wildcard preload/progs/*.h)
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Ipreload/progs -o $@ $< $(LDLIBS)

INSTALL_EXTRA += install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1; \
	install -m 755 $(PRELOAD_SO) $(DESTDIR)$(LIBDIR)/; \
	install -m 755 $(PRELOAD_RUN) $(DESTDIR)$(BINDIR)/; \
	install -m 644 man/man1/uipc-run.1 $(DESTDIR)$(MANDIR)/man1/;
