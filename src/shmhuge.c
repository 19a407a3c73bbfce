// SPDX-License-Identifier: MIT
/*
 * shmhuge.c - SHM_HUGETLB: segments whose bytes are huge pages.
 *
 * Behaviour (kernel ipc/shm.c newseg(), fs/hugetlbfs hugetlb_file_setup()):
 * after the size checks, a SHM_HUGETLB creation picks the huge page size
 * from the SHM_HUGE_* bits (0: the default size, else log2 of the size;
 * a size the system has no pool for is EINVAL), then requires
 * CAP_IPC_LOCK in the initial user namespace or membership (effective or
 * supplementary group) of /proc/sys/vm/hugetlb_shm_group (else EPERM),
 * then reserves ceil(size / huge page size) pages from that pool (else
 * ENOMEM), unless SHM_NORESERVE (then a touch that finds no free page
 * raises SIGBUS).  shm_segsz and SHM_INFO's shm_tot count the size asked
 * for; an attachment spans whole huge pages and its address must be
 * aligned to one.  Opening an existing segment with SHM_HUGETLB set
 * checks nothing of this.
 *
 * Where the pages come from: a hugetlbfs mount.  $UIPC_HUGETLBFS names
 * its directory; else the first hugetlbfs mount in /proc/self/mountinfo
 * whose page size is the one asked for.  Without one (or one where the
 * caller may not create files) the creation fails with ENOMEM, as it
 * would with no pages.  The segment's bytes are the file
 * "uipc.<dev>.<ino>.shm.<id>" there (the namespace directory's device
 * and inode, in hex), created with the object file's owner and mode
 * (and kept so by IPC_SET), reserved with fallocate, and removed with
 * the segment.  The object file records the page size and the mount's
 * device, which every process checks before it maps the data.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define HUGETLBFS_MAGIC_K	0x958458f6
#define SHM_HUGE_SHIFT_K	26
#define SHM_HUGE_MASK_K		0x3f

/* The page shift @shmflg asks for, or -EINVAL (kernel hstate_sizelog()). */
int shm_huge_shift(int shmflg)
{
	unsigned log = ((unsigned)shmflg >> SHM_HUGE_SHIFT_K) & SHM_HUGE_MASK_K;
	char path[96], line[128];
	unsigned long kb = 0;
	struct stat st;
	FILE *f;

	if (log) {
		if (log < 12 || log > 40)
			return -EINVAL;
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB",
			 (1UL << log) >> 10);
		return stat(path, &st) == 0 ? (int)log : -EINVAL;
	}
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -EINVAL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	if (!kb || (kb & (kb - 1)))
		return -EINVAL;
	return __builtin_ctzl(kb) + 10;
}

/* Translate @id through /proc/self/{uid,gid}_map, @outward: ns -> kernel. */
static long id_map(const char *file, long id, bool outward)
{
	char line[128];
	long in, out, n, r = -1;
	FILE *f = fopen(file, "re");

	if (!f)
		return outward ? id : id;	/* no user namespaces: identity */
	while (r < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%ld %ld %ld", &in, &out, &n) != 3)
			continue;
		if (outward && id >= in && id - in < n)
			r = out + (id - in);
		else if (!outward && id >= out && id - out < n)
			r = in + (id - out);
	}
	fclose(f);
	return r;
}

/* kernel can_do_hugetlb_shm(): 0 or -EPERM. */
int shm_huge_allowed(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	char buf[32];
	long grp, g;
	int fd, n;

	/* CAP_IPC_LOCK counts only in the initial user namespace */
	if (syscall(SYS_capget, &h, d) == 0 &&
	    (d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))) &&
	    id_map("/proc/self/uid_map", 0, true) == 0 &&
	    id_map("/proc/self/uid_map", 4294967294L, true) == 4294967294L)
		return 0;
	fd = open("/proc/sys/vm/hugetlb_shm_group", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EPERM;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EPERM;
	buf[n] = '\0';
	grp = strtol(buf, NULL, 10);
	g = id_map("/proc/self/gid_map", grp, false);
	return g >= 0 && proc_in_group((gid_t)g) ? 0 : -EPERM;
}

static long sysfs_long(int shift, const char *file)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
		 (1UL << shift) >> 10, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * shm_huge_check - the checks of a new SHM_HUGETLB segment of @size bytes
 * that need no id, in the kernel's order: the page size (EINVAL), the
 * caller's right (EPERM), pages for it in the pool (ENOMEM; the pool's
 * free pages less those reserved, plus what overcommit still allows;
 * the data file's fallocate has the last word).  0 or -errno.
 */
int shm_huge_check(uint64_t size, int shmflg)
{
	int shift = shm_huge_shift(shmflg), err;
	long freep, resv, over, surplus;
	uint64_t want;

	if (shift < 0)
		return shift;
	err = shm_huge_allowed();
	if (err || (shmflg & SHM_NORESERVE))
		return err;
	want = (size >> shift) + !!(size & (((uint64_t)1 << shift) - 1));
	freep = sysfs_long(shift, "free_hugepages");
	resv = sysfs_long(shift, "resv_hugepages");
	over = sysfs_long(shift, "nr_overcommit_hugepages");
	surplus = sysfs_long(shift, "surplus_hugepages");
	if (freep < 0 || resv < 0)
		return 0;	/* unknown: let fallocate tell */
	if (over > surplus && surplus >= 0)
		freep += over - surplus;
	return (uint64_t)(freep > resv ? freep - resv : 0) < want ? -ENOMEM : 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool huge_dir_ok(const char *dir, int shift, dev_t *dev)
{
	struct statfs sf;
	struct stat st;

	if (statfs(dir, &sf) < 0 || (unsigned long)sf.f_type != HUGETLBFS_MAGIC_K ||
	    (unsigned long)sf.f_bsize != 1UL << shift || stat(dir, &st) < 0)
		return false;
	*dev = st.st_dev;
	return true;
}

/*
 * The hugetlbfs directory for pages of 1 << @shift bytes, into @dir;
 * 0 or -ENOMEM (none).  Looked up once per process and size.
 */
static int huge_dir(int shift, char *dir, size_t cap, dev_t *dev)
{
	static struct { int shift; dev_t dev; char dir[512]; } known[4];
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	const char *env = getenv("UIPC_HUGETLBFS");
	char line[1024], mnt[512], type[64];
	int r = -ENOMEM;
	FILE *f;

	pthread_mutex_lock(&mu);
	for (int i = 0; i < 4; i++)
		if (known[i].shift == shift) {
			snprintf(dir, cap, "%s", known[i].dir);
			*dev = known[i].dev;
			pthread_mutex_unlock(&mu);
			return 0;
		}
	if (env && *env) {
		if (strlen(env) < sizeof(mnt) && huge_dir_ok(env, shift, dev)) {
			snprintf(mnt, sizeof(mnt), "%s", env);
			r = 0;
		}
	} else if ((f = fopen("/proc/self/mountinfo", "re"))) {
		while (r && fgets(line, sizeof(line), f)) {
			char *sep = strstr(line, " - ");

			/* id parent maj:min root MOUNTPOINT opts ... - TYPE */
			if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
			    sscanf(sep + 3, "%63s", type) != 1 ||
			    strcmp(type, "hugetlbfs"))
				continue;
			unescape(mnt);
			if (huge_dir_ok(mnt, shift, dev))
				r = 0;
		}
		fclose(f);
	}
	if (!r) {
		for (int i = 0; i < 4; i++)
			if (!known[i].shift) {
				known[i].shift = shift;
				known[i].dev = *dev;
				snprintf(known[i].dir, sizeof(known[i].dir), "%s", mnt);
				break;
			}
		snprintf(dir, cap, "%s", mnt);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

/* The data file's path for segment @o (its page size decides the mount). */
static int huge_path(struct obj *o, int shift, char *path, size_t cap,
		     dev_t *dev)
{
	struct ns *ns = ns_get();
	char dir[512];
	int r;

	if (IS_ERR(ns))
		return (int)PTR_ERR(ns);
	r = huge_dir(shift, dir, sizeof(dir), dev);
	if (r)
		return r;
	snprintf(path, cap, "%s/uipc.%llx.%llx.shm.%d", dir,
		 (unsigned long long)ns->dev, (unsigned long long)ns->ino, o->id);
	return 0;
}

/*
 * shm_huge_create - make and reserve the data file of new segment @o
 * (@len bytes, a multiple of the page size 1 << @shift), owned and
 * moded like its object file will be.  0 or -errno (ENOMEM for any
 * failure to get the pages or the file).  Sets *@dev to the mount's.
 */
int shm_huge_create(struct obj *o, int shift, uint64_t len, bool noreserve,
		    dev_t *dev)
{
	char path[700];
	int fd, r;

	r = huge_path(o, shift, path, sizeof(path), dev);
	if (r)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* left by a creator that died: the id is ours now */
		unlink(path);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return -ENOMEM;
	r = noreserve ? ftruncate(fd, (off_t)len) : fallocate(fd, 0, 0, (off_t)len);
	if (r < 0) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ipc_sync_fd(o, fd);
	close(fd);
	return 0;
}

/* Open segment @o's data file with @oflags; a descriptor or -errno. */
int shm_huge_open(struct obj *o, int oflags)
{
	struct uipc_shmseg *s = o->u.shm.seg;
	char path[700];
	struct stat st;
	dev_t dev;
	int fd, r;

	r = huge_path(o, (int)READ_ONCE(s->huge_shift), path, sizeof(path), &dev);
	if (r)
		return r == -ENOMEM ? -EIDRM : r;
	if (dev != (dev_t)READ_ONCE(s->huge_dev))
		return -EIDRM;	/* another mount than its creator's */
	fd = open(path, oflags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EIDRM : -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != dev || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < READ_ONCE(s->data_len)) {
		close(fd);
		return UIPC_CORRUPT;
	}
	return fd;
}

/* The data file's device and inode, for counting mappings; 0 or -1. */
int shm_huge_stat(struct obj *o, struct stat *st)
{
	int fd = shm_huge_open(o, O_RDONLY | O_PATH);
	int r;

	if (fd < 0)
		return -1;
	r = fstat(fd, st);
	close(fd);
	return r;
}

/* Remove segment @o's data file (the segment is gone). */
void shm_huge_unlink(struct obj *o)
{
	char path[700];
	dev_t dev;

	if (!huge_path(o, (int)READ_ONCE(o->u.shm.seg->huge_shift), path,
		       sizeof(path), &dev) &&
	    dev == (dev_t)READ_ONCE(o->u.shm.seg->huge_dev))
		unlink(path);
}

/* After IPC_SET: the data file's owner and mode follow the object's. */
void shm_huge_sync(struct obj *o)
{
	int fd = shm_huge_open(o, O_RDONLY);

	if (fd >= 0) {
		ipc_sync_fd(o, fd);
		close(fd);
	}
}
