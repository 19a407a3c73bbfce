# examples/build.mk - the classic programs, rebuilt on uipc (included by
# the top Makefile).
#
#   make examples            uipc build        -> $(O)/examples/PROG
#   make examples KERNEL=1   kernel SysV build -> $(O)/examples/kernel/PROG
#   make demo                build, then run examples/demo/run-demo.sh
#
# Both builds come from the same sources: examples/common/ipc.h maps the
# uipc_* names to the kernel calls when UIPC_EXAMPLES_KERNEL is defined.
# `make check` builds both, and every examples/*/test.sh runs its program
# both ways (the kernel one inside `unshare -Uri`).

EX_PROGS := ex-probe semdemo binsem-race logd logc msgsrv msgstat msgcat \
	    xfr-writer xfr-reader stdin2shm shm2stdout shmlist demo

EX_SRC_ex-probe    := common/probe.c
EX_SRC_semdemo     := binsem/semdemo.c binsem/binsem.c
EX_SRC_binsem-race := binsem/binsem-race.c binsem/binsem.c
EX_SRC_logd        := shm-logger/logd.c
EX_SRC_logc        := shm-logger/logc.c
EX_SRC_msgsrv      := msg-server/msgsrv.c
EX_SRC_msgstat     := msg-server/msgstat.c msg-server/client.c
EX_SRC_msgcat      := msg-server/msgcat.c msg-server/client.c
EX_SRC_xfr-writer  := shm-xfr/xfr-writer.c shm-xfr/xfr.c
EX_SRC_xfr-reader  := shm-xfr/xfr-reader.c shm-xfr/xfr.c
EX_SRC_stdin2shm   := shm-xfr/stdin2shm.c
EX_SRC_shm2stdout  := shm-xfr/shm2stdout.c
EX_SRC_shmlist     := shm-list/shmlist.c binsem/binsem.c
EX_SRC_demo        := demo/demo.c

EX_COMMON := examples/common/util.c
EX_HDRS   := $(wildcard examples/*/*.h) include/uipc.h
EX_CFLAGS  = $(BASE_CFLAGS) $(CFLAGS) -Iexamples/common -Iexamples/binsem

EX_UIPC   := $(EX_PROGS:%=$(O)/examples/%)
EX_KERNEL := $(EX_PROGS:%=$(O)/examples/kernel/%)

define EX_RULES
$(O)/examples/$(1): $$(addprefix examples/,$$(EX_SRC_$(1))) $$(EX_COMMON) $$(EX_HDRS) $$(LIB_A)
	$$(call msg,CC,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(EX_CFLAGS) -o $$@ $$(addprefix examples/,$$(EX_SRC_$(1))) \
		$$(EX_COMMON) $$(LIB_A) $$(LDLIBS)

$(O)/examples/kernel/$(1): $$(addprefix examples/,$$(EX_SRC_$(1))) $$(EX_COMMON) $$(EX_HDRS)
	$$(call msg,CC,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(EX_CFLAGS) -DUIPC_EXAMPLES_KERNEL -o $$@ \
		$$(addprefix examples/,$$(EX_SRC_$(1))) $$(EX_COMMON) $$(LDLIBS)
endef
$(foreach p,$(EX_PROGS),$(eval $(call EX_RULES,$(p))))

ifeq ($(KERNEL),1)
examples: $(EX_KERNEL)
else
examples: $(EX_UIPC)
endif
examples-kernel: $(EX_KERNEL)

all: examples
CHECK_DEPS += $(EX_UIPC) $(EX_KERNEL)

# The README's first command.  Runs in the namespace $UIPC_ROOT if set,
# else in a private one it removes afterwards (so the default namespace
# /dev/shm/uipc is left as it was); with KERNEL=1, against the kernel.
# It lists the objects with uipcs, so it builds that too.
demo: examples $(O)/tools/uipcs
	$(Q)if [ -n "$$UIPC_ROOT" ]; then \
		O=$(O) KERNEL=$(KERNEL) ./examples/demo/run-demo.sh; \
	else \
		root=$$(mktemp -d /dev/shm/uipc-demo.XXXXXX) && \
		UIPC_ROOT=$$root O=$(O) KERNEL=$(KERNEL) ./examples/demo/run-demo.sh; \
		rc=$$?; rm -rf "$$root"; exit $$rc; \
	fi

# Installed as a set of demonstration programs, not as commands on $PATH:
# they keep their short names in $(EXAMPLESDIR) next to their README.
EXAMPLESDIR ?= $(PREFIX)/libexec/uipc/examples
install: install-examples
install-examples: examples
	install -d $(DESTDIR)$(EXAMPLESDIR)
	install -m 755 $(filter-out $(O)/examples/ex-probe,$(EX_UIPC)) $(DESTDIR)$(EXAMPLESDIR)/
	install -m 644 examples/README.md $(DESTDIR)$(EXAMPLESDIR)/

.PHONY: examples examples-kernel demo install-examples
