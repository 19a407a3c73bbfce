# preload/build.mk - libuipc-preload.so and the uipc-run launcher.
#
# The shim links libuipc.a (position-independent objects) into itself and
# exports only the twelve SysV names (preload.map): one self-contained
# file, independent of any libuipc.so on the library path.  See preload.c.
PRELOAD_SO  := $(O)/preload/libuipc-preload.so
# Where the shim is installed (Debian: a private directory).  uipc-run
# looks for it next to itself (the build tree), then at the same place
# relative to its own directory (an installed tree that was moved, or
# unpacked under another root), then at PRELOADDIR.
PRELOADDIR  ?= $(LIBDIR)
PRELOAD_REL := $(if $(filter $(PREFIX)/bin,$(BINDIR)),$(patsubst $(PREFIX)/%,../%,$(filter $(PREFIX)/%,$(PRELOADDIR))))
PRELOAD_RUN := $(O)/preload/uipc-run
PRELOAD_PROGS := $(patsubst preload/progs/%.c,$(O)/preload/progs/%,$(wildcard preload/progs/*.c))

all: $(PRELOAD_SO) $(PRELOAD_RUN)
CHECK_DEPS += $(PRELOAD_SO) $(PRELOAD_RUN) $(PRELOAD_PROGS)

PRELOAD_SRC := $(wildcard preload/*.c)

$(PRELOAD_SO): $(PRELOAD_SRC) preload/shim.h preload/semctl_arg.h preload/preload.map $(LIB_A) include/uipc.h
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -shared \
		-Wl,--version-script=preload/preload.map -Wl,-z,defs \
		-o $@ $(PRELOAD_SRC) $(LIB_A) $(LDLIBS)

$(PRELOAD_RUN): preload/uipc-run.in VERSION
	$(call msg,GEN,$@)
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PRELOADDIR@|$(PRELOADDIR)|g; s|@PRELOAD_REL@|$(PRELOAD_REL)|g; s|@VERSION@|$(VERSION)|g' $< > $@
	$(Q)chmod 755 $@

# Test programs: plain SysV code, built against libc only (never uipc.h).
$(O)/preload/progs/%: preload/progs/%.c $(wildcard preload/progs/*.h)
	$(call msg,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Ipreload/progs -o $@ $< $(LDLIBS)

INSTALL_EXTRA += install -d $(DESTDIR)$(PRELOADDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1; \
	install -m 644 $(PRELOAD_SO) $(DESTDIR)$(PRELOADDIR)/; \
	install -m 755 $(PRELOAD_RUN) $(DESTDIR)$(BINDIR)/; \
	install -m 644 man/man1/uipc-run.1 $(DESTDIR)$(MANDIR)/man1/;

# Libraries dlcheck opens (preload/test-deepbind.sh).  libdeep twice: bound
# at load time with RELRO, and lazily; libown needs libfake, which defines
# msgget; libloader finds sub/libplugin.so only through its DT_RUNPATH.
DL_DIR  := $(O)/preload/progs/dl
DL_LIBS := $(DL_DIR)/libdeep-now.so $(DL_DIR)/libdeep-lazy.so \
	$(DL_DIR)/libfake.so $(DL_DIR)/libown.so $(DL_DIR)/libloader.so \
	$(DL_DIR)/sub/libplugin.so
DL_CC    = $(CC) $(filter-out -fsanitize=%,$(BASE_CFLAGS) $(CFLAGS)) -fPIC -shared
CHECK_DEPS += $(DL_LIBS)

$(DL_DIR)/libdeep-now.so: preload/progs/dl/deep.c
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DL_CC) -Wl,-z,now,-z,relro -o $@ $<
$(DL_DIR)/libdeep-lazy.so: preload/progs/dl/deep.c
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DL_CC) -Wl,-z,lazy -o $@ $<
$(DL_DIR)/libown.so: preload/progs/dl/own.c $(DL_DIR)/libfake.so
	$(call msg,LD,$@)
	$(Q)$(DL_CC) -o $@ $< -L$(DL_DIR) -lfake -Wl,--enable-new-dtags,-rpath,'$$ORIGIN'
$(DL_DIR)/libloader.so: preload/progs/dl/loader.c
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DL_CC) -o $@ $< -Wl,--enable-new-dtags,-rpath,'$$ORIGIN/sub'
$(DL_DIR)/sub/libplugin.so: preload/progs/dl/plugin.c
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DL_CC) -o $@ $<
$(DL_DIR)/lib%.so: preload/progs/dl/%.c
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DL_CC) -o $@ $<
