// SPDX-License-Identifier: MIT
/*
 * out.c - messages, sizes, times and JSON for the uipc tools.
 *
 * The formats reproduce what util-linux prints (they are its command-line
 * contract: headings, "prog: message" lines, "Try ... --help"); the code
 * is ours.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out.h"
#ifndef UIPC_TOOLS_KERNEL
# include <uipc.h>
#endif

const char *out_prog = "uipc";

static void vmsg(int errnum, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", out_prog);
	vfprintf(stderr, fmt, ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void out_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void out_warn(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(errnum, fmt, ap);
	va_end(ap);
}

void out_errx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	exit(code);
}

void out_err(int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(errnum, fmt, ap);
	va_end(ap);
	exit(code);
}

/*
 * out_namespace - the tools say why the namespace cannot be used (the
 * library says it only under UIPC_DEBUG), rather than failing each call
 * with an errno that looks like a SysV answer.
 */
void out_namespace(void)
{
#ifndef UIPC_TOOLS_KERNEL
	char why[4400];

	if (uipc_namespace(why, sizeof(why)) < 0)
		out_errx(EXIT_FAILURE, "namespace %s", why);
#endif
}

void out_tryhelp(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", out_prog);
	exit(EXIT_FAILURE);
}

void out_version(void)
{
#ifdef UIPC_TOOLS_KERNEL
	printf("%s from uipc (kernel backend)\n", out_prog);
#else
	printf("%s from uipc %s\n", out_prog, uipc_version());
#endif
	exit(EXIT_SUCCESS);
}

void out_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			_exit(EXIT_FAILURE);
		fprintf(stderr, "%s: write error: %s\n", out_prog,
			strerror(errno));
		_exit(EXIT_FAILURE);
	}
}

/*
 * Binary exponent 0, 10, ... 60: the largest whose power does not exceed
 * @n (0 below 1024).  The fraction keeps three decimals, truncated, then
 * is rounded half up to one; a fraction that rounds to 10 carries.
 */
void out_human(uint64_t bytes, char *buf, size_t len)
{
	static const char letters[] = "BKMGTPE";
	int e = 0;
	uint64_t whole, rem, frac = 0;

	while (e < 60 && bytes >= (1ULL << (e + 10)))
		e += 10;
	whole = bytes >> e;
	rem = e ? bytes & ((1ULL << e) - 1) : 0;
	if (rem) {
		if (rem >= UINT64_MAX / 1000)
			frac = ((rem >> 10) * 1000) >> (e - 10);
		else
			frac = (rem * 1000) >> e;
		frac = (frac + 50) / 100;
		if (frac == 10) {
			whole++;
			frac = 0;
		}
	}
	if (frac)
		snprintf(buf, len, "%llu.%llu%c", (unsigned long long)whole,
			 (unsigned long long)frac, letters[e / 10]);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)whole,
			 letters[e / 10]);
}

void out_size(enum out_unit unit, const char *label, uint64_t size,
	      const char *end, int width)
{
	char h[32];

	if (label) {
		size_t l = strlen(label);

		if (l && label[l - 1] == '=')
			fputs(label, stdout);
		else if (unit == U_BYTES)
			printf("%s (bytes) = ", label);
		else if (unit == U_KB)
			printf("%s (kbytes) = ", label);
		else
			printf("%s = ", label);
	}
	switch (unit) {
	case U_KB:
		size /= 1024;
		/* fall through */
	case U_DEFAULT:
	case U_BYTES:
		printf("%*llu", width, (unsigned long long)size);
		break;
	case U_HUMAN:
		out_human(size, h, sizeof(h));
		printf("%*s", width, h);
		break;
	}
	if (end)
		fputs(end, stdout);
}

const char *out_ctime(int64_t t)
{
	static char buf[64];
	time_t tt = (time_t)t;
	char *nl;

	if (!ctime_r(&tt, buf)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
		return buf;
	}
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return buf;
}

const char *out_user(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : NULL;
}

const char *out_group(gid_t gid)
{
	struct group *gr = getgrgid(gid);

	return gr ? gr->gr_name : NULL;
}

int out_parse_int(const char *s, int *v)
{
	char *end;
	long long x;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno == ERANGE || x < INT_MIN || x > INT_MAX)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	*v = (int)x;
	return 0;
}

/* ---- JSON: nesting depth and whether the current level has items ---- */
static int js_depth;
static int js_items[16];

static void js_indent(void)
{
	printf("%*s", 3 * js_depth, "");
}

static void js_sep(void)
{
	if (js_items[js_depth]++)
		fputs(",\n", stdout);
	else
		fputc('\n', stdout);
	js_indent();
}

static void js_qstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', stdout);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			fputc(*p, stdout);
	}
	fputc('"', stdout);
}

static void js_key(const char *key)
{
	js_sep();
	if (key) {
		js_qstr(key);
		fputs(": ", stdout);
	}
}

static void js_open(char c)
{
	fputc(c, stdout);
	js_depth++;
	js_items[js_depth] = 0;
}

static void js_close(char c)
{
	int had = js_items[js_depth];

	js_depth--;
	if (had) {
		fputc('\n', stdout);
		js_indent();
	}
	fputc(c, stdout);
}

void js_begin(void)
{
	js_depth = 0;
	js_items[0] = 0;
	js_open('{');
}

void js_end(void)
{
	js_close('}');
	fputc('\n', stdout);
}

void js_array(const char *key)
{
	js_key(key);
	js_open('[');
}

void js_array_end(void)
{
	js_close(']');
}

void js_object(const char *key)
{
	js_key(key);
	js_open('{');
}

void js_object_end(void)
{
	js_close('}');
}

void js_str(const char *key, const char *v)
{
	js_key(key);
	if (v)
		js_qstr(v);
	else
		fputs("null", stdout);
}

void js_num(const char *key, int64_t v)
{
	js_key(key);
	printf("%lld", (long long)v);
}

void js_unum(const char *key, uint64_t v)
{
	js_key(key);
	printf("%llu", (unsigned long long)v);
}

void js_null(const char *key)
{
	js_key(key);
	fputs("null", stdout);
}

void js_bool(const char *key, int v)
{
	js_key(key);
	fputs(v ? "true" : "false", stdout);
}

/*
 * out_parse_size - ipcmk's <size>: a number (C syntax: 0x.. hex, 0..
 * octal), an optional decimal fraction, then an optional unit K M G T P E
 * Z Y (or lower case) alone or followed by "iB" (both powers of 1024) or
 * by "B" (powers of 1000).  A fraction needs a unit.  The fraction is
 * exact, rounded down (util-linux weighs each digit separately and gets
 * e.g. 1.10K = 2048).  Returns 0, -EINVAL or -ERANGE.
 */
int out_parse_size(const char *str, uint64_t *res)
{
	static const char units[] = "KMGTPEZY", lunits[] = "kmgtpezy";
	const char *p = str, *frac = NULL, *u;
	unsigned __int128 scale = 1, total, fpart = 0;
	uintmax_t x;
	size_t nfrac = 0, i;
	unsigned base = 1024;
	int pwr;
	char *end;

	if (!str || !*str)
		return -EINVAL;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '-' || *p == '+')
		return -EINVAL;
	errno = 0;
	x = strtoumax(p, &end, 0);
	if (end == p)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	p = end;
	if (!*p) {
		*res = x;
		return 0;
	}
	if (*p == '.') {
		frac = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		nfrac = (size_t)(p - frac);
		if (!*p)
			return -EINVAL;		/* a fraction needs a unit */
	}
	if (*p && (u = strchr(units, *p)))
		pwr = (int)(u - units) + 1;
	else if (*p && (u = strchr(lunits, *p)))
		pwr = (int)(u - lunits) + 1;
	else
		return -EINVAL;
	p++;
	if (p[0] == 'i' && (p[1] == 'B' || p[1] == 'b') && !p[2])
		base = 1024;
	else if ((p[0] == 'B' || p[0] == 'b') && !p[1])
		base = 1000;
	else if (*p)
		return -EINVAL;
	for (i = 0; i < (size_t)pwr; i++)
		scale *= base;
	/* floor(0.d1d2...dn * scale), innermost digit first; exact */
	for (i = nfrac; i-- > 0;)
		fpart = ((unsigned __int128)(frac[i] - '0') * scale + fpart) / 10;
	total = (unsigned __int128)x * scale;
	if (x && total / x != scale)
		return -ERANGE;
	total += fpart;
	if (total > UINT64_MAX)
		return -ERANGE;
	*res = (uint64_t)total;
	return 0;
}
