# uipc - top-level GNU make build.
#   make            library, preload shim, tools, examples
#   make check      every test (unit, differential, tools, examples)
#   make bench      the benchmark
#   make check-musl the tests on a musl-gcc build
#   make sanitize   the same tests under ASan+UBSan
#   make tsan       the threaded stress under ThreadSanitizer
#   make install    PREFIX=/usr/local DESTDIR= (also TMPFILESDIR, PRELOADDIR)
-include config.mk

VERSION     := $(shell cat VERSION)
MAJOR       := $(firstword $(subst ., ,$(VERSION)))
PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CC          ?= cc
O           ?= build

WARN        := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS      ?= -O2 -g
# CPPFLAGS and LDFLAGS are the caller's (dpkg-buildflags: fortify, relro)
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -pthread $(SAN) $(CPPFLAGS)
LDLIBS      += $(LDFLAGS) -pthread

# A compiler that does not see the kernel's headers (musl-gcc sees musl's
# only) gets the system's linux/, asm/ and asm-generic/ (Debian:
# linux-libc-dev) after its own, through links in $(O)/kernel-headers.
HASH        := \#
NEED_KHDR   := $(shell printf '$(HASH)include <linux/futex.h>\n' | \
		 $(CC) -E -x c - > /dev/null 2>&1 || echo yes)
ifeq ($(NEED_KHDR),yes)
KHDR        := $(O)/kernel-headers
KHDR_DIRS   := $(wildcard /usr/include/linux /usr/include/asm-generic \
		 /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)/asm)
ifneq ($(KHDR_DIRS),)
$(shell mkdir -p $(KHDR) && for d in $(KHDR_DIRS); do ln -sfn $$d $(KHDR)/$$(basename $$d); done)
BASE_CFLAGS += -idirafter $(KHDR)
endif
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2);
endif

LIB_SRC  := $(wildcard src/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
SONAME   := libuipc.so.$(MAJOR)
LIB_SO   := $(O)/libuipc.so.$(VERSION)
LIB_A    := $(O)/libuipc.a

all: lib

lib: $(LIB_SO) $(LIB_A) $(O)/uipc.pc

$(O)/src/%.o: src/%.c $(wildcard src/*.h) include/uipc.h config.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -DUIPC_VERSION_STRING=\"$(VERSION)\" -I. -Isrc -c $< -o $@

$(LIB_SO): $(LIB_OBJ) src/uipc.map
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=src/uipc.map -Wl,-z,defs -o $@ $(LIB_OBJ) $(LDLIBS)
	$(Q)ln -sf libuipc.so.$(VERSION) $(O)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(O)/libuipc.so

$(LIB_A): $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJ)

$(O)/uipc.pc: uipc.pc.in VERSION
	@mkdir -p $(O)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

config.h:
	@./configure >/dev/null

# Each part of the tree brings its own fragment.
-include $(sort $(wildcard preload/build.mk tools/build.mk examples/build.mk bench/build.mk test/*/build.mk)) test/build.mk

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 include/uipc.h $(DESTDIR)$(INCLUDEDIR)/uipc.h
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libuipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libuipc.so
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(O)/uipc.pc $(DESTDIR)$(LIBDIR)/pkgconfig/uipc.pc
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(TMPFILESDIR)
	install -m 644 tmpfiles.d/uipc.conf $(DESTDIR)$(TMPFILESDIR)/uipc.conf
	$(INSTALL_EXTRA)

sanitize:
	$(MAKE) O=build-san SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

# The same tests on a musl build (Debian: musl-tools), in $(O)-musl.  The
# unit tests run on test/unit/minicrit.h there (no Criterion for musl).
# Skipped: the tests that compare our output with, or preload the shim
# into, the system's glibc programs (ipcs, ipcmk, python3, php, sh, and
# the raw pass of the differential harness, which execs /bin/sleep): a
# musl shim cannot load into a glibc process, and the messages of getopt()
# and strerror() differ between the two C libraries; the test of glibc's
# RTLD_DEEPBIND, which musl does not have; and the Debian packages' test,
# which builds glibc packages whatever the compiler (make check has run it).
MUSL_SKIP := tools/test-diff.sh tools/test-golden.sh tools/test-twin.sh \
	preload/test-python.sh preload/test-shim.sh preload/test-utils.sh \
	preload/test-php.sh preload/test-syscalls.sh preload/test-deepbind.sh \
	test/diff/raw.sh test/deb/test-deb.sh
check-musl:
	UIPC_TEST_SKIP="$(MUSL_SKIP)" \
	UIPC_TEST_SKIP_WHY="glibc only (glibc programs, RTLD_DEEPBIND or Debian packages)" \
		$(MAKE) O=$(O)-musl CC=musl-gcc SAN= check

# -O1: TSan's reports keep their frames; the fences of src/atomic.h are
# not modelled by TSan (GCC refuses them with -Wtsan): the library has none.
tsan:
	$(MAKE) O=build-tsan CFLAGS="-O1 -g" SAN="-fsanitize=thread" tsan-run

valgrind: tests
	O=$(O) VALGRIND=1 ./test/run-all.sh

clean:
	rm -rf $(O) $(O)-musl build-san build-tsan

.PHONY: all lib install clean sanitize tsan valgrind check check-musl tests bench demo
