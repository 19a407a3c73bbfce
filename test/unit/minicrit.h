/* SPDX-License-Identifier: MIT */
/*
 * minicrit.h - the part of Criterion's interface the unit tests use, for a
 * C library Criterion was not built for.
 *
 * Debian's libcriterion is built against glibc, so a test binary built
 * with musl-gcc cannot link it.  When the compiler cannot use Criterion,
 * test/build.mk defines UIPC_MINICRIT and helpers.h includes this header
 * instead: the same test sources then build into self-contained binaries
 * with this small runner as their main().
 *
 * What it provides, with Criterion's meaning:
 *   TestSuite(suite, .init, .fini, .timeout)
 *   Test(suite, name[, .init, .fini, .timeout])
 *   cr_assert, cr_assert_eq/neq/gt/geq/lt/leq, cr_assert_str_eq,
 *   cr_assert_fail, cr_skip_test
 *   ReportHook(PRE_ALL) and ReportHook(POST_ALL), run in the runner
 * Each test runs in a process of its own, forked from the runner, in
 * source order, one at a time: the suite's .init, the test's .init, the
 * body, then the .finis, which run after a failed assertion too.  A test
 * fails on a failed assertion, a signal, an exit status other than 0, or
 * when its timeout (seconds) passes: then the runner SIGKILLs it.
 * Options: --filter=GLOB (on "suite/name"), --verbose; Criterion's
 * --jobs=N is accepted and ignored.  The last line is "N passed, N
 * failed, N skipped"; the exit status is 0 when nothing failed.
 */
#ifndef UIPC_TEST_MINICRIT_H
#define UIPC_TEST_MINICRIT_H

#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mc_opts {
	void (*init)(void);
	void (*fini)(void);
	double timeout;		/* seconds; 0: none */
	const char *description;
	int disabled;
};

struct mc_test {
	const char *suite, *name;
	void (*fn)(void);
	const struct mc_opts *opts;
	int line;		/* tests run in source order */
};

struct mc_suite {
	const char *name;
	const struct mc_opts *opts;
};

#define MC_MAX 1024
static struct mc_test mc_tests[MC_MAX];
static int mc_ntests;
static struct mc_suite mc_suites[64];
static int mc_nsuites;
static sigjmp_buf mc_jmp;
static int mc_in_test;		/* 1 in the test process, until a jump */

#define MC_FAILED	1
#define MC_SKIPPED	2
#define MC_EXIT_SKIP	77

static inline void mc_add_test(const char *suite, const char *name,
			       void (*fn)(void), const struct mc_opts *opts,
			       int line)
{
	if (mc_ntests == MC_MAX)
		abort();
	mc_tests[mc_ntests++] = (struct mc_test){ suite, name, fn, opts, line };
}

static inline void mc_add_suite(const char *name, const struct mc_opts *opts)
{
	if (mc_nsuites == (int)(sizeof(mc_suites) / sizeof(mc_suites[0])))
		abort();
	mc_suites[mc_nsuites++] = (struct mc_suite){ name, opts };
}

#define TestSuite(suite, ...)                                                 \
	static const struct mc_opts mc_suite_opts_##suite = { __VA_ARGS__ };  \
	__attribute__((constructor)) static void mc_reg_suite_##suite(void)   \
	{                                                                     \
		mc_add_suite(#suite, &mc_suite_opts_##suite);                 \
	}

#define Test(suite, name, ...)                                                \
	static void mc_fn_##suite##_##name(void);                             \
	static const struct mc_opts mc_opts_##suite##_##name = { __VA_ARGS__ }; \
	__attribute__((constructor)) static void mc_reg_##suite##_##name(void) \
	{                                                                     \
		mc_add_test(#suite, #name, mc_fn_##suite##_##name,            \
			    &mc_opts_##suite##_##name, __LINE__);             \
	}                                                                     \
	static void mc_fn_##suite##_##name(void)

/* Hooks: defined by the test file (helpers.h), called by main if defined. */
struct criterion_test_set;
struct criterion_global_stats;
void mc_hook_PRE_ALL(struct criterion_test_set *) __attribute__((weak));
void mc_hook_POST_ALL(struct criterion_global_stats *) __attribute__((weak));
#define ReportHook(kind) void mc_hook_##kind

/* End the test: leave the body (or the .init) for the .finis. */
static inline void mc_end(int how)
{
	fflush(NULL);
	if (mc_in_test) {
		mc_in_test = 0;
		siglongjmp(mc_jmp, how);
	}
	/* in a .fini, or in a process the test forked: just end it */
	_exit(how == MC_SKIPPED ? MC_EXIT_SKIP : 1);
}

/* fmt starts with one space, so that an absent message is no empty format */
__attribute__((format(printf, 4, 5), noreturn))
static inline void mc_fail(const char *file, int line, const char *expr,
			   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	if (fmt[1]) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt + 1, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	mc_end(MC_FAILED);
	abort();	/* not reached */
}

__attribute__((format(printf, 1, 2), noreturn))
static inline void mc_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("skipped:", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mc_end(MC_SKIPPED);
	abort();	/* not reached */
}

#define cr_assert(cond, ...)                                                  \
	do {                                                                  \
		if (!(cond))                                                  \
			mc_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__);  \
	} while (0)
#define MC_CMP(a, op, b, ...)                                                 \
	do {                                                                  \
		if (!((a) op (b)))                                            \
			mc_fail(__FILE__, __LINE__, #a " " #op " " #b,        \
				" " __VA_ARGS__);                             \
	} while (0)
#define cr_assert_eq(a, b, ...)		MC_CMP(a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...)	MC_CMP(a, !=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)		MC_CMP(a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...)	MC_CMP(a, >=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)		MC_CMP(a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...)	MC_CMP(a, <=, b, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)	MC_CMP(strcmp((a), (b)), ==, 0, __VA_ARGS__)
#define cr_assert_fail(...)                                                   \
	mc_fail(__FILE__, __LINE__, "cr_assert_fail", " " __VA_ARGS__)
#define cr_skip_test(...)	mc_skip(" " __VA_ARGS__)

static inline const struct mc_opts *mc_suite_opts(const char *suite)
{
	static const struct mc_opts none;

	for (int i = 0; i < mc_nsuites; i++)
		if (!strcmp(mc_suites[i].name, suite))
			return mc_suites[i].opts;
	return &none;
}

/* In the test's own process: .inits, body, .finis; never returns. */
__attribute__((noreturn))
static inline void mc_child(const struct mc_test *t, const struct mc_opts *s)
{
	int how;

	how = sigsetjmp(mc_jmp, 0);
	if (how == 0) {
		mc_in_test = 1;
		if (s->init)
			s->init();
		if (t->opts->init)
			t->opts->init();
		t->fn();
		mc_in_test = 0;
	}
	if (t->opts->fini)
		t->opts->fini();
	if (s->fini)
		s->fini();
	fflush(NULL);
	_exit(how == MC_FAILED ? 1 : how == MC_SKIPPED ? MC_EXIT_SKIP : 0);
}

/* Run one test; 0 passed, 1 failed, 2 skipped. */
static inline int mc_run(const struct mc_test *t, int verbose)
{
	const struct mc_opts *s = mc_suite_opts(t->suite);
	double limit = t->opts->timeout > 0 ? t->opts->timeout : s->timeout;
	struct timespec start, now, nap = { 0, 2000000 };
	int st;
	pid_t pid, r;

	if (verbose)
		fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
	fflush(NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		mc_child(t, s);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			perror("waitpid");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (limit > 0 && (now.tv_sec - start.tv_sec) +
		    (now.tv_nsec - start.tv_nsec) / 1e9 > limit) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr, "[FAIL] %s::%s: timed out after %gs\n",
				t->suite, t->name, limit);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (verbose)
			fprintf(stderr, "[PASS] %s::%s\n", t->suite, t->name);
		return 0;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == MC_EXIT_SKIP) {
		fprintf(stderr, "[SKIP] %s::%s\n", t->suite, t->name);
		return 2;
	}
	if (WIFSIGNALED(st))
		fprintf(stderr, "[FAIL] %s::%s: killed by signal %d\n",
			t->suite, t->name, WTERMSIG(st));
	else
		fprintf(stderr, "[FAIL] %s::%s: exit status %d\n",
			t->suite, t->name, WEXITSTATUS(st));
	return 1;
}

static int mc_by_line(const void *a, const void *b)
{
	return ((const struct mc_test *)a)->line -
	       ((const struct mc_test *)b)->line;
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int verbose = 0, n[3] = { 0, 0, 0 };
	char full[256];

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--filter=", 9))
			filter = argv[i] + 9;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (strncmp(argv[i], "--jobs=", 7)) {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
			return 2;
		}
	}
	qsort(mc_tests, mc_ntests, sizeof(mc_tests[0]), mc_by_line);
	if (mc_hook_PRE_ALL)
		mc_hook_PRE_ALL(NULL);
	for (int i = 0; i < mc_ntests; i++) {
		const struct mc_test *t = &mc_tests[i];

		snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
		if (t->opts->disabled || (filter && fnmatch(filter, full, 0)))
			continue;
		n[mc_run(t, verbose)]++;
	}
	if (mc_hook_POST_ALL)
		mc_hook_POST_ALL(NULL);
	printf("%d passed, %d failed, %d skipped\n", n[0], n[1], n[2]);
	return n[1] ? 1 : 0;
}

#endif /* UIPC_TEST_MINICRIT_H */
