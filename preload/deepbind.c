// SPDX-License-Identifier: MIT
/*
 * deepbind.c - libraries loaded with dlopen(..., RTLD_DEEPBIND) reach the
 * shim too.
 *
 * Behaviour.  A library opened with RTLD_DEEPBIND looks up its symbols in
 * its own dependencies before the global scope, so its msgget ... shmctl
 * bind to the C library's, ahead of the preloaded shim: PHP loads its
 * sysvmsg, sysvsem and sysvshm extensions that way, and `uipc-run php`
 * silently used the kernel.  The shim's dlopen() lets the C library load
 * the object(s) as asked, then points each new object's references to the
 * twelve SysV functions (GOT slots: PLT jump slots, GLOB_DAT and absolute
 * pointers, in RELRO pages too) at the shim's functions, as the global
 * scope would have.  Every other symbol keeps its deep binding: a library
 * that opts into RTLD_DEEPBIND to keep its own copies of other functions
 * (the reason the flag exists) keeps them, and one whose own dependencies
 * define msgget itself (another shim) keeps that one too.
 *
 * Why this design (docs/preload.md weighs the others): stripping
 * RTLD_DEEPBIND would change the binding of every symbol of such a
 * library, not only the SysV ones; the seccomp trap (trap.c) would catch
 * the calls at the price of no_new_privs and SIGSYS for every program
 * run by uipc-run, and a system call on each operation.  This costs
 * nothing after the dlopen and no system call on the fast paths.
 *
 * Internals.  dlopen() must not change who called it: the C library
 * searches the caller's DT_RUNPATH for a bare name and picks the caller's
 * link-map namespace.  So on x86_64 dlopen is a few instructions of
 * assembly that jump (not call) to the C library's for every mode without
 * RTLD_DEEPBIND.  With RTLD_DEEPBIND it calls it from here: a bare name
 * is then searched as if opened by the shim (no DT_RUNPATH of the caller;
 * LD_LIBRARY_PATH, the cache and the default directories still apply).
 * New objects are those after the old end of the link-map list (the
 * dynamic linker appends).  On other architectures dlopen is not
 * interposed (see docs/preload.md).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

/* RTLD_DEEPBIND is glibc's: musl binds every library alike */
#if defined(__x86_64__) && !defined(__ILP32__) && defined(RTLD_DEEPBIND)

static const char *const sysv_names[] = {
	"msgget", "msgsnd", "msgrcv", "msgctl",
	"semget", "semop", "semtimedop", "semctl",
	"shmget", "shmat", "shmdt", "shmctl",
};
#define NNAMES	(sizeof(sysv_names) / sizeof(sysv_names[0]))

__attribute__((visibility("hidden"))) void *(*next_dlopen)(const char *, int);
__attribute__((visibility("hidden"))) void *deepbind_dlopen(const char *file,
							       int mode);

#define STR_(x) #x
#define STR(x) STR_(x)
#ifdef __CET__
#define ENDBR "	endbr64\n"
#else
#define ENDBR
#endif
/* void *dlopen(const char *file (rdi), int mode (esi)) */
__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen, @function\n"
	"dlopen:\n"
	"	.cfi_startproc\n"
	ENDBR
	"	testl $" STR(RTLD_DEEPBIND) ", %esi\n"
	"	jnz 1f\n"
	"	movq next_dlopen(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	jmp *%rax\n"
	"1:	jmp deepbind_dlopen\n"
	"	.cfi_endproc\n"
	".size dlopen, .-dlopen\n");

/* The last object of the main link-map list. */
static struct link_map *last_object(void)
{
	struct link_map *m = NULL;
	Dl_info info;

	if (!dladdr1((void *)last_object, &info, (void **)&m,
		     RTLD_DL_LINKMAP) || !m)
		return NULL;
	while (m->l_next)
		m = m->l_next;
	return m;
}

/* A dynamic-section address: relocated in place by glibc, or not. */
static uintptr_t dyn_addr(const struct link_map *lm, uintptr_t p)
{
	return p < lm->l_addr ? p + lm->l_addr : p;
}

struct relro {
	const struct link_map *lm;
	uintptr_t start, end;
};

static int find_relro(struct dl_phdr_info *pi, size_t size, void *arg)
{
	struct relro *r = arg;
	bool mine = false;

	if (pi->dlpi_addr != r->lm->l_addr)
		return 0;
	for (int i = 0; i < pi->dlpi_phnum; i++)
		if (pi->dlpi_phdr[i].p_type == PT_DYNAMIC &&
		    pi->dlpi_addr + pi->dlpi_phdr[i].p_vaddr ==
		    (uintptr_t)r->lm->l_ld)
			mine = true;
	if (!mine)
		return 0;
	for (int i = 0; i < pi->dlpi_phnum; i++)
		if (pi->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			r->start = pi->dlpi_addr + pi->dlpi_phdr[i].p_vaddr;
			r->end = r->start + pi->dlpi_phdr[i].p_memsz;
		}
	return 1;
}

/* Store @to in the pointer at @slot, opening a RELRO page for it. */
static void patch(uintptr_t slot, uintptr_t to, const struct relro *r)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *page = (void *)(slot & ~(pg - 1));
	bool ro = slot >= r->start && slot < r->end;

	if (*(uintptr_t *)slot == to)
		return;
	if (ro && mprotect(page, pg, PROT_READ | PROT_WRITE))
		return;
	/* another thread may be calling through it: one aligned store */
	__atomic_store_n((uintptr_t *)slot, to, __ATOMIC_RELEASE);
	if (ro)
		mprotect(page, pg, PROT_READ);
}

struct rebind {
	uintptr_t ours[NNAMES];		/* the shim's functions */
	bool apply[NNAMES];		/* the deep scope gives the libc one */
};

static void rebind_rela(const struct link_map *lm, const ElfW(Rela) *rel,
			size_t size, const ElfW(Sym) *symtab,
			const char *strtab, const struct rebind *rb,
			const struct relro *r)
{
	for (size_t n = 0; n < size / sizeof(*rel); n++, rel++) {
		unsigned long type = ELF64_R_TYPE(rel->r_info);
		const ElfW(Sym) *s = &symtab[ELF64_R_SYM(rel->r_info)];
		const char *name;

		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
		    type != R_X86_64_64)
			continue;
		if (!ELF64_R_SYM(rel->r_info) || s->st_shndx != SHN_UNDEF)
			continue;
		name = strtab + s->st_name;
		for (size_t i = 0; i < NNAMES; i++) {
			if (!rb->apply[i] || strcmp(name, sysv_names[i]))
				continue;
			patch(lm->l_addr + rel->r_offset, rb->ours[i] +
			      (type == R_X86_64_64 ? rel->r_addend : 0), r);
		}
	}
}

static void rebind_object(const struct link_map *lm, const struct rebind *rb)
{
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	uintptr_t jmprel = 0, rela = 0;
	size_t pltrelsz = 0, relasz = 0;
	long pltrel = DT_RELA;
	struct relro r = { .lm = lm };

	for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			symtab = (const void *)dyn_addr(lm, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			strtab = (const void *)dyn_addr(lm, d->d_un.d_ptr);
			break;
		case DT_JMPREL:
			jmprel = dyn_addr(lm, d->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			pltrelsz = d->d_un.d_val;
			break;
		case DT_PLTREL:
			pltrel = (long)d->d_un.d_val;
			break;
		case DT_RELA:
			rela = dyn_addr(lm, d->d_un.d_ptr);
			break;
		case DT_RELASZ:
			relasz = d->d_un.d_val;
			break;
		}
	}
	if (!symtab || !strtab || pltrel != DT_RELA)
		return;
	dl_iterate_phdr(find_relro, &r);
	if (rela)
		rebind_rela(lm, (const void *)rela, relasz, symtab, strtab,
			    rb, &r);
	if (jmprel)
		rebind_rela(lm, (const void *)jmprel, pltrelsz, symtab, strtab,
			    rb, &r);
}

void *deepbind_dlopen(const char *file, int mode)
{
	struct link_map *old_end;
	struct rebind rb;
	void *h;

	if (!next_dlopen)
		next_dlopen = shim_next("dlopen");
	if (!(mode & RTLD_DEEPBIND))
		return next_dlopen(file, mode);
	old_end = last_object();
	h = next_dlopen(file, mode);
	if (!h || !old_end)
		return h;
	for (size_t i = 0; i < NNAMES; i++) {
		void *libc = shim_next(sysv_names[i]);

		rb.ours[i] = (uintptr_t)dlsym(RTLD_DEFAULT, sysv_names[i]);
		rb.apply[i] = rb.ours[i] && libc && dlsym(h, sysv_names[i]) == libc;
	}
	for (struct link_map *m = old_end->l_next; m; m = m->l_next)
		rebind_object(m, &rb);
	return h;
}

__attribute__((constructor)) static void deepbind_init(void)
{
	next_dlopen = shim_next("dlopen");
}

#endif
