// SPDX-License-Identifier: MIT
/*
 * main.c - the differential harness's driver binary, built twice from the
 * same sources: diff-kernel (System V calls) and diff-uipc (libuipc).
 *
 *   diff-BACKEND list	  one line per scenario: "NAME", "NAME root" or
 *			  "NAME huge"
 *   diff-BACKEND NAME	  run one scenario, printing its normalised trace
 *
 * test/diff/run.sh runs each scenario on both backends in fresh namespaces
 * and diffs the traces.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void tr_init(void);

static struct scenario *all;

void scen_register(struct scenario *s)
{
	struct scenario **p = &all;

	/* keep the list sorted by name, so "list" is stable */
	while (*p && strcmp((*p)->name, s->name) < 0)
		p = &(*p)->next;
	s->next = *p;
	*p = s;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s list | SCENARIO\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "list")) {
		for (struct scenario *s = all; s; s = s->next)
			printf("%s%s\n", s->name,
			       s->flags & SC_HUGE ? " huge" :
			       s->flags & SC_ROOT ? " root" : "");
		return 0;
	}
	for (struct scenario *s = all; s; s = s->next) {
		if (strcmp(s->name, argv[1]))
			continue;
		signal(SIGPIPE, SIG_IGN);
		tr_init();
		s->fn();
		return 0;
	}
	fprintf(stderr, "%s: no scenario %s\n", argv[0], argv[1]);
	return 2;
}
