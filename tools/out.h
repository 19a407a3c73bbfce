/* SPDX-License-Identifier: MIT */
/*
 * out.h - the output side of the tools: util-linux-style messages, sizes,
 * times, user names, and a small JSON writer in lsipc's shape (one key per
 * table, an array of rows, lower-case column names).
 */
#ifndef UIPC_TOOLS_OUT_H
#define UIPC_TOOLS_OUT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The program's short name for messages ("uipcs: ..."). */
extern const char *out_prog;

/* warnx/errx/err as util-linux prints them: "prog: msg[: strerror]". */
void out_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_warn(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_errx(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void out_err(int code, int errnum, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/* "Try 'prog --help' for more information." and exit(1). */
void out_tryhelp(void) __attribute__((noreturn));
/* "prog from uipc X.Y.Z" and exit(0). */
void out_version(void) __attribute__((noreturn));
/* Flush stdout, failing (exit 1) on a write error, like close_stdout(). */
void out_close_stdout(void);

/* Units for sizes, as ipcs's --human / -b. */
enum out_unit { U_DEFAULT, U_BYTES, U_KB, U_HUMAN };

/* "1.5K", "16E", "0B": one letter, one decimal, util-linux rounding. */
void out_human(uint64_t bytes, char *buf, size_t len);
/*
 * out_size - ipcs's size printer: an optional label ("bytes=" printed as
 * is, anything else as "label (bytes) = "), the value in @unit, padded to
 * @width (negative: left-aligned), then @end.
 */
void out_size(enum out_unit unit, const char *label, uint64_t size,
	      const char *end, int width);

/* ctime(3) of a 64-bit time, without the newline (24 characters). */
const char *out_ctime(int64_t t);
/* User / group name, or NULL when the database has none. */
const char *out_user(uid_t uid);
const char *out_group(gid_t gid);

/* A decimal int, whole string: 0, -EINVAL or -ERANGE. */
int out_parse_int(const char *s, int *v);
void out_namespace(void);
/* ipcmk's size syntax (see out.c): 0, -EINVAL or -ERANGE. */
int out_parse_size(const char *s, uint64_t *res);

/* ---- JSON ---- */
void js_begin(void);			/* "{" */
void js_end(void);			/* "}" */
void js_array(const char *key);		/* "key": [ */
void js_array_end(void);
void js_object(const char *key);	/* "key": {  or  { inside an array */
void js_object_end(void);
void js_str(const char *key, const char *v);	/* NULL prints null */
void js_num(const char *key, int64_t v);
void js_unum(const char *key, uint64_t v);
void js_null(const char *key);
void js_bool(const char *key, int v);

#endif /* UIPC_TOOLS_OUT_H */
