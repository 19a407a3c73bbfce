// SPDX-License-Identifier: MIT
/*
 * ipcinfo.c - read the namespace through the public API.
 *
 * The enumeration is util-linux's fallback path (and what any program can
 * do): MSG_INFO/SEM_INFO/SHM_INFO return the highest index in use, and
 * MSG_STAT_ANY/SEM_STAT_ANY/SHM_STAT_ANY turn each index into an
 * identifier plus its *_ds without needing read permission.  Indices that
 * are free (or whose object vanished meanwhile) answer EINVAL/EIDRM and
 * are skipped.  Nothing here modifies an object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "ipcinfo.h"

/* statfs(2) f_type values (the kernel's <linux/magic.h>) */
#define II_TMPFS_MAGIC	0x01021994
#define II_RAMFS_MAGIC	0x858458f6

static void fill_perm(struct ii_perm *p, const struct ipc_perm *k, int id)
{
	p->key = k->__key;
	p->id = id;
	p->uid = k->uid;
	p->gid = k->gid;
	p->cuid = k->cuid;
	p->cgid = k->cgid;
	p->mode = k->mode;
}

static void msg_rec(struct ii_msg *r, const struct msqid_ds *ds, int id)
{
	memset(r, 0, sizeof(*r));
	fill_perm(&r->p, &ds->msg_perm, id);
	r->cbytes = ds->__msg_cbytes;
	r->qnum = ds->msg_qnum;
	r->qbytes = ds->msg_qbytes;
	r->lspid = ds->msg_lspid;
	r->lrpid = ds->msg_lrpid;
	r->stime = ds->msg_stime;
	r->rtime = ds->msg_rtime;
	r->ctime = ds->msg_ctime;
}

static void sem_rec(struct ii_sem *r, const struct semid_ds *ds, int id)
{
	memset(r, 0, sizeof(*r));
	fill_perm(&r->p, &ds->sem_perm, id);
	r->nsems = ds->sem_nsems;
	r->otime = ds->sem_otime;
	r->ctime = ds->sem_ctime;
}

static void shm_rec(struct ii_shm *r, const struct shmid_ds *ds, int id)
{
	memset(r, 0, sizeof(*r));
	fill_perm(&r->p, &ds->shm_perm, id);
	r->segsz = ds->shm_segsz;
	r->nattch = ds->shm_nattch;
	r->cpid = ds->shm_cpid;
	r->lpid = ds->shm_lpid;
	r->atime = ds->shm_atime;
	r->dtime = ds->shm_dtime;
	r->ctime = ds->shm_ctime;
}

static int max_index(enum ii_type type)
{
	int r;

	switch (type) {
	case II_MSG: {
		struct msginfo mi;
		r = B_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);
		break;
	}
	case II_SEM: {
		struct seminfo si;
		union ii_semun arg = { .__buf = &si };
		r = B_semctl(0, 0, SEM_INFO, arg);
		break;
	}
	default: {
		struct shm_info si;
		r = B_shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&si);
		break;
	}
	}
	return r < 0 ? -errno : r;
}

/*
 * stat_index - *_STAT_ANY (or, !@any, the permission-checked *_STAT) on
 * index @idx into whichever of the three structures @type uses.  Returns
 * the identifier or -errno.
 */
static int stat_index(enum ii_type type, int idx, void *ds, int any)
{
	int r;

	switch (type) {
	case II_MSG:
		r = B_msgctl(idx, any ? MSG_STAT_ANY : MSG_STAT, ds);
		break;
	case II_SEM: {
		union ii_semun arg = { .buf = ds };
		r = B_semctl(idx, 0, any ? SEM_STAT_ANY : SEM_STAT, arg);
		break;
	}
	default:
		r = B_shmctl(idx, any ? SHM_STAT_ANY : SHM_STAT, ds);
		break;
	}
	return r < 0 ? -errno : r;
}

union any_ds {
	struct msqid_ds msg;
	struct semid_ds sem;
	struct shmid_ds shm;
};

static size_t rec_size(enum ii_type type)
{
	return type == II_MSG ? sizeof(struct ii_msg) :
	       type == II_SEM ? sizeof(struct ii_sem) : sizeof(struct ii_shm);
}

static void to_rec(enum ii_type type, void *rec, const union any_ds *ds,
		   int id)
{
	if (type == II_MSG)
		msg_rec(rec, &ds->msg, id);
	else if (type == II_SEM)
		sem_rec(rec, &ds->sem, id);
	else
		shm_rec(rec, &ds->shm, id);
}

/*
 * list - enumerate every object of @type (with @any: even those we may
 * not read); if @want >= 0 stop at the one whose identifier is @want.
 * Returns the record count or -errno.
 */
static int list(enum ii_type type, int want, int any, void **out)
{
	size_t sz = rec_size(type), n = 0, cap = 0;
	char *recs = NULL;
	int maxid, idx;

	*out = NULL;
	maxid = max_index(type);
	if (maxid < 0)
		return maxid;
	for (idx = 0; idx <= maxid; idx++) {
		union any_ds ds;
		int id = stat_index(type, idx, &ds, any);

		if (id < 0)
			continue;
		if (want >= 0 && id != want)
			continue;
		if (n == cap) {
			char *p;

			cap = cap ? 2 * cap : 16;
			p = realloc(recs, cap * sz);
			if (!p) {
				free(recs);
				return -ENOMEM;
			}
			recs = p;
		}
		to_rec(type, recs + n * sz, &ds, id);
		n++;
		if (want >= 0)
			break;
	}
	*out = recs;
	return (int)n;
}

int ii_msg_list(struct ii_msg **out)
{
	return list(II_MSG, -1, 1, (void **)out);
}

int ii_sem_list(struct ii_sem **out)
{
	return list(II_SEM, -1, 1, (void **)out);
}

int ii_shm_list(struct ii_shm **out)
{
	return list(II_SHM, -1, 1, (void **)out);
}

static int find(enum ii_type type, int id, void *out)
{
	void *recs;
	int n;

	if (id < 0)
		return 0;
	n = list(type, id, 1, &recs);
	if (n > 0)
		memcpy(out, recs, rec_size(type));
	free(recs);
	return n;
}

int ii_msg_find(int id, struct ii_msg *out)
{
	return find(II_MSG, id, out);
}

int ii_sem_find(int id, struct ii_sem *out)
{
	return find(II_SEM, id, out);
}

int ii_shm_find(int id, struct ii_shm *out)
{
	return find(II_SHM, id, out);
}

int ii_sem_values(int semid, uint64_t nsems, struct ii_semval *v,
		  const char **what)
{
	static const struct { int cmd; const char *name; } q[4] = {
		{ GETVAL, "semctl(GETVAL)" },
		{ GETNCNT, "semctl(GETNCNT)" },
		{ GETZCNT, "semctl(GETZCNT)" },
		{ GETPID, "semctl(GETPID)" },
	};
	uint64_t i;

	for (i = 0; i < nsems; i++) {
		int r[4], k;

		for (k = 0; k < 4; k++) {
			union ii_semun arg = { .val = 0 };

			r[k] = B_semctl(semid, (int)i, q[k].cmd, arg);
			if (r[k] < 0) {
				*what = q[k].name;
				return -errno;
			}
		}
		v[i].val = r[0];
		v[i].ncnt = r[1];
		v[i].zcnt = r[2];
		v[i].pid = r[3];
	}
	return 0;
}

int ii_ids(enum ii_type type, int any, int **out)
{
	void *recs;
	int n, i, *ids;

	*out = NULL;
	n = list(type, -1, any, &recs);
	if (n <= 0)
		return n;
	ids = malloc(n * sizeof(*ids));
	if (!ids) {
		free(recs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* ii_perm is the first member of every record */
		const struct ii_perm *p = (const struct ii_perm *)
			((char *)recs + i * rec_size(type));
		ids[i] = p->id;
	}
	free(recs);
	*out = ids;
	return n;
}

int ii_msg_info(int cmd, struct msginfo *mi)
{
	memset(mi, 0, sizeof(*mi));
	if (B_msgctl(0, cmd, (struct msqid_ds *)(void *)mi) < 0)
		return -errno;
	return 0;
}

int ii_sem_info(int cmd, struct seminfo *si)
{
	union ii_semun arg = { .__buf = si };

	memset(si, 0, sizeof(*si));
	if (B_semctl(0, 0, cmd, arg) < 0)
		return -errno;
	return 0;
}

int ii_shm_limits(struct shminfo *si)
{
	memset(si, 0, sizeof(*si));
	if (B_shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)si) < 0)
		return -errno;
	return 0;
}

int ii_shm_status(struct shm_info *si)
{
	memset(si, 0, sizeof(*si));
	if (B_shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)si) < 0)
		return -errno;
	return 0;
}

int ii_ns_on_disk(const char **root)
{
#ifdef UIPC_TOOLS_KERNEL
	(void)root;
	return 0;
#else
	static char dir[4096];
	struct statfs fs;

	if (uipc_namespace(dir, sizeof(dir)) < 0 || statfs(dir, &fs) < 0 ||
	    fs.f_type == II_TMPFS_MAGIC || fs.f_type == II_RAMFS_MAGIC)
		return 0;
	*root = dir;
	return 1;
#endif
}

int ii_rmid(enum ii_type type, int id)
{
	int r;

	switch (type) {
	case II_MSG:
		r = B_msgctl(id, IPC_RMID, NULL);
		break;
	case II_SEM: {
		union ii_semun arg = { .val = 0 };
		r = B_semctl(id, 0, IPC_RMID, arg);
		break;
	}
	default:
		r = B_shmctl(id, IPC_RMID, NULL);
		break;
	}
	return r < 0 ? -errno : 0;
}

int ii_key_to_id(enum ii_type type, key_t key)
{
	int r;

	switch (type) {
	case II_MSG:
		r = B_msgget(key, 0);
		break;
	case II_SEM:
		r = B_semget(key, 0, 0);
		break;
	default:
		r = B_shmget(key, 0, 0);
		break;
	}
	return r < 0 ? -errno : r;
}
