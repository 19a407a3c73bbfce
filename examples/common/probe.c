// SPDX-License-Identifier: MIT
/*
 * ex-probe - a test helper: does an object exist?  Works the same against
 * uipc and the kernel, so the example tests can check cleanup either way.
 *
 *   ex-probe q|s|m ID         exit 0 if the object exists, 1 if not
 *   ex-probe key q|s|m KEY    exit 0 and print its id if the key is in use
 *
 * Exit 2 on any other error (with a message).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int gone(int err)
{
	return err == EINVAL || err == EIDRM || err == ENOENT;
}

int main(int argc, char **argv)
{
	struct msqid_ds mds;
	struct semid_ds sds;
	struct shmid_ds hds;
	union semun arg = { .buf = &sds };
	int r, id;
	char t;

	if (argc == 3 && strlen(argv[1]) == 1) {
		t = argv[1][0];
		id = (int)ex_parse_long(argv[2], 0, 0x7fffffff, "id");
		if (t == 'q')
			r = uipc_msgctl(id, IPC_STAT, &mds);
		else if (t == 's')
			r = uipc_semctl(id, 0, IPC_STAT, arg);
		else if (t == 'm')
			r = uipc_shmctl(id, IPC_STAT, &hds);
		else
			goto usage;
	} else if (argc == 4 && !strcmp(argv[1], "key") && strlen(argv[2]) == 1) {
		key_t key = ex_parse_key(argv[3]);

		t = argv[2][0];
		if (t == 'q')
			r = uipc_msgget(key, 0);
		else if (t == 's')
			r = uipc_semget(key, 0, 0);
		else if (t == 'm')
			r = uipc_shmget(key, 0, 0);
		else
			goto usage;
		if (r >= 0)
			printf("%d\n", r);
	} else {
		goto usage;
	}
	if (r >= 0)
		return 0;
	if (gone(errno))
		return 1;
	ex_warn("probe");
	return 2;
usage:
	fprintf(stderr, "usage: ex-probe q|s|m ID | ex-probe key q|s|m KEY\n");
	return 2;
}
