// SPDX-License-Identifier: GPL-2.0
/*
 * userptr-bench: what each CPU operation costs a GPU-like userptr listener,
 * per kind of listener, on the kernel it runs on, and that nothing went
 * stale.
 *
 * The HMM test driver models the two kinds of userptr listener (its
 * HMM_USERPTR_* ioctls): a mirror that holds no reference on its pages and
 * waits for its device work when it acts (amdgpu, amdkfd, xe userptr), and
 * a pinned userptr (i915, radeon); each writable or read-only.  On the base
 * kernel they act on every invalidation, as the 6.12 drivers do; on the
 * series they ask mmu_notifier_range_action() with their kind.
 *
 * For each kind and operation: a fresh userptr of NPAGES pages, valid,
 * with device work held across the operation (a write of new data, or a
 * read for a read-only userptr).  A second thread completes the work as
 * soon as an invalidation callback waits for it, as a GPU finishes its job
 * while the driver waits for its fences; work nothing waited for is
 * completed after the operation.  Then:
 *   - what the operation made the model do: invalidation callbacks, those
 *     it acted on, and those that waited for the held work;
 *   - what the next device read needed: revalidations of the whole
 *     userptr, the pages looked up or pinned again, device faults;
 *   - the pages that moved (pfns in /proc/self/pagemap);
 *   - and the checks, every row: the operation happened (at least one
 *     invalidation; kept + acted + refused add up, none refused), no wait
 *     timed out, a callback that acted while work was held waited for it
 *     during the operation, the held write reached the CPU's pages and a
 *     held read saw the data from before, no page the device can still
 *     reach is stale (HMM_USERPTR_CHECK), the next device read revalidates
 *     if and only if a callback acted and sees what the CPU sees, a device
 *     read after a CPU write sees it, a device write reaches the CPU (a
 *     read-only userptr refuses it), a mirror's pages all move on
 *     migration, pinned pages never move.
 * One line per row:
 *   userptr,<kind>,<op>,<invalidations>,<acted>,<waits>,<revalidations>,
 *           <pages>,<device faults>,<moved>,<check>
 * where <check> is "ok" or what failed; "-" where a value does not apply;
 * and first userptr-config,npages,<n>,numa_cpu_ms,<ms>.
 * Exits 1 if any check failed, 2 if test_hmm has no userptr models.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <lib/test_hmm_uapi.h>
#include "bench.h"

#define NPAGES		64
#define KSM		"/sys/kernel/mm/ksm"
#define NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"
/* CPU time the task runs with NUMA balancing on, per kind. */
#define NUMA_CPU_MS	4000

static unsigned long page;

/* Every word of every page says which seed and which page it is. */
static void fill(void *p, unsigned long npages, int seed)
{
	uint64_t *w = p;

	for (unsigned long i = 0; i < npages * page / 8; i++)
		w[i] = (uint64_t)seed << 40 | (i / (page / 8)) << 20 | i % (page / 8);
}

static bool filled(const void *p, unsigned long npages, int seed)
{
	const uint64_t *w = p;

	for (unsigned long i = 0; i < npages * page / 8; i++)
		if (w[i] != ((uint64_t)seed << 40 | (i / (page / 8)) << 20 | i % (page / 8)))
			return false;
	return true;
}

static int ucmd(int fd, unsigned long req, void *arg)
{
	while (ioctl(fd, req, arg))
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* A device access to the whole userptr; *@reval: revalidated first. */
static int submit(int fd, void *buf, __u32 flags, int *reval)
{
	struct hmm_userptr_cmd cmd = { .ptr = (unsigned long)buf, .flags = flags };
	int ret = ucmd(fd, HMM_USERPTR_SUBMIT, &cmd);

	if (!ret && reval)
		*reval = cmd.out;
	return ret;
}

static int complete(int fd, void *buf)
{
	struct hmm_userptr_cmd cmd = { .ptr = (unsigned long)buf };

	return ucmd(fd, HMM_USERPTR_COMPLETE, &cmd);
}

static long stale(int fd)
{
	struct hmm_userptr_cmd cmd = { 0 };
	int ret = ucmd(fd, HMM_USERPTR_CHECK, &cmd);

	return ret ? ret : (long)cmd.out;
}

static unsigned long pfn_of(int pagemap, void *addr)
{
	uint64_t e;

	if (pread(pagemap, &e, 8, (unsigned long)addr / page * 8) != 8)
		return 0;
	return e & (1ULL << 63) ? e & ((1ULL << 55) - 1) : 0;
}

/* The pfns of @p's pages; false if one has none (not present). */
static bool pfns(unsigned long *pfn, char *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	bool all = fd >= 0;

	for (int i = 0; all && i < NPAGES; i++)
		all = (pfn[i] = pfn_of(fd, p + i * page)) != 0;
	if (fd >= 0)
		close(fd);
	return all;
}

/*
 * The completer: completes the held work once a callback waits for it;
 * stops without completing once the CPU operation returned with nothing
 * waiting.
 */
struct completer {
	int fd;
	void *buf;			/* the data of a held read */
	int started, cpu_done;
	int waited, waited_in_op, completed, timed_out;
	int ret;
	pthread_t thread;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *completer_thread(void *arg)
{
	struct completer *w = arg;
	struct hmm_userptr_cmd cmd = { .flags = HMM_USERPTR_PEEK };
	/* Longer than any operation: KSM's scans take up to 120 s. */
	double t0 = now_s();

	while (now_s() - t0 < 300) {
		w->ret = ucmd(w->fd, HMM_USERPTR_COMPLETE, &cmd);
		__atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
		if (w->ret)
			return NULL;
		if (cmd.out) {
			w->waited = 1;
			w->waited_in_op = !__atomic_load_n(&w->cpu_done,
							   __ATOMIC_ACQUIRE);
			w->ret = complete(w->fd, w->buf);
			w->completed = !w->ret;
			return NULL;
		}
		if (__atomic_load_n(&w->cpu_done, __ATOMIC_ACQUIRE))
			return NULL;
		usleep(1000);
	}
	w->timed_out = 1;
	return NULL;
}

/*
 * Started before the operation, which may hold the mmap lock for writing
 * while its callback waits: the thread's stack is faulted in by then.
 */
static void completer_start(struct completer *w, int fd, void *buf)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->buf = buf;
	if (pthread_create(&w->thread, NULL, completer_thread, w))
		die("pthread_create");
	while (!__atomic_load_n(&w->started, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

enum op { MPROTECT_DOWN, MPROTECT_UP, SOFT_DIRTY, UFFD_WP, KSM_MERGE,
	  NUMA_HINT, MUNMAP, MIGRATE, NR_OPS };
static const char *const op_name[NR_OPS] = {
	"mprotect down", "mprotect up", "soft-dirty", "uffd-wp", "KSM merge",
	"NUMA hinting", "munmap", "migration",
};

struct kind {
	const char *name;
	__u32 kind;
	bool ro;
};

static const struct kind kinds[] = {
	{ "mirror", HMM_USERPTR_MIRROR, false },
	{ "mirror-ro", HMM_USERPTR_MIRROR, true },
	{ "pinned", HMM_USERPTR_PINNED, false },
	{ "pinned-ro", HMM_USERPTR_PINNED, true },
};

/* One row: the userptr, and the first check that failed. */
struct row {
	const struct kind *k;
	enum op op;
	int fd;
	char *p, *map;			/* the userptr; its mapping */
	unsigned long maplen;
	char *buf;
	char fail[160];
};

static void fail(struct row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->fail, sizeof(r->fail), fmt, ap);
	va_end(ap);
	/* One field of a comma-separated line. */
	for (char *c = r->fail; *c; c++)
		if (*c == ',')
			*c = ';';
}

static void counters(struct row *r, struct hmm_userptr_counters *c)
{
	if (ucmd(r->fd, HMM_USERPTR_COUNTERS, c))
		die("HMM_USERPTR_COUNTERS");
}

static int uffd_wp(int uffd, void *p, unsigned long len, bool wp)
{
	struct uffdio_writeprotect w = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
}

/* Wait for @scans full KSM scans, at most @max_s seconds. */
static bool ksm_scans(int scans, int max_s)
{
	long full = sysctl(KSM "/full_scans", NULL);

	for (int i = 0; i < max_s * 20; i++) {
		if (sysctl(KSM "/full_scans", NULL) >= full + scans)
			return true;
		usleep(50000);
	}
	return false;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_row(const struct kind *k, enum op op)
{
	struct hmm_userptr_counters c, c2;
	unsigned long before[NPAGES], after[NPAGES], moved = 0;
	bool writable = !k->ro, held = true, have_pfns;
	int held_seed = k->ro ? 1 : 2, data_seed;
	struct row r = { .k = k, .op = op };
	struct hmm_userptr_cmd reg = { 0 };
	struct completer w = { 0 };
	int uffd = -1, reval = 0, ret, expect_reval;
	long not_moved = 0;
	cpu_set_t all_cpus;
	long ksm_run = -1, ksm_pages = -1, ksm_sleep = -1, ksm_smart = -1;
	pthread_t idle;
	char *lo = NULL, *hi = NULL;
	char v[32];

	r.fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (r.fd < 0)
		die("/dev/hmm_dmirror0");
	r.buf = malloc(NPAGES * page);
	if (!r.buf)
		die("malloc");
	/*
	 * NUMA hinting: a shared mapping, since hinting skips the pinned
	 * pages of a private one.  KSM: the userptr between copies of its
	 * halves, which no userptr maps, so that KSM has pages to merge it
	 * with.
	 */
	r.maplen = (op == KSM_MERGE ? 2 : 1) * NPAGES * page;
	r.map = mmap(NULL, r.maplen, PROT_READ | PROT_WRITE, MAP_ANONYMOUS |
		     (op == NUMA_HINT ? MAP_SHARED : MAP_PRIVATE), -1, 0);
	if (r.map == MAP_FAILED)
		die("mmap");
	/* Small pages: KSM, NUMA hinting and migration treat THPs apart. */
	if (op != NUMA_HINT && madvise(r.map, r.maplen, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE");
	r.p = op == KSM_MERGE ? r.map + NPAGES / 2 * page : r.map;
	fill(r.p, NPAGES, 1);
	if (op == KSM_MERGE) {
		/*
		 * Copies of the userptr's halves below and above it: KSM
		 * keeps in place the page of a pair it scans second, so it
		 * would keep the first half of the userptr and replace the
		 * second.
		 */
		lo = r.map;
		hi = r.p + NPAGES * page;
		memcpy(lo, r.p, NPAGES / 2 * page);
		memcpy(hi, r.p + NPAGES / 2 * page, NPAGES / 2 * page);
	}
	reg.addr = (unsigned long)r.p;
	reg.npages = NPAGES;
	reg.kind = k->kind;
	reg.flags = k->ro ? HMM_USERPTR_READ_ONLY : 0;
	if (ucmd(r.fd, HMM_USERPTR_REGISTER, &reg))
		die("HMM_USERPTR_REGISTER");
	if (submit(r.fd, r.buf, 0, &reval) || !reval)
		die("first submission");

	/* What comes before the operation, and is not counted. */
	switch (op) {
	case MPROTECT_UP:
		if (mprotect(r.p, NPAGES * page, PROT_READ))
			die("mprotect");
		/*
		 * A writable userptr cannot be valid over read-only memory:
		 * it holds no work across the mprotect().
		 */
		if (writable)
			held = false;
		else if (submit(r.fd, r.buf, 0, NULL))
			die("revalidation over read-only memory");
		break;
	case UFFD_WP: {
		struct uffdio_api api = { .api = UFFD_API };
		struct uffdio_register ur = {
			.range = { .start = (unsigned long)r.p,
				   .len = NPAGES * page },
			.mode = UFFDIO_REGISTER_MODE_WP,
		};

		uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
		    ioctl(uffd, UFFDIO_REGISTER, &ur))
			die("userfaultfd write protection");
		break;
	}
	case KSM_MERGE:
		ksm_run = sysctl(KSM "/run", NULL);
		ksm_pages = sysctl(KSM "/pages_to_scan", NULL);
		ksm_sleep = sysctl(KSM "/sleep_millisecs", NULL);
		/*
		 * Smart scanning skips addresses that did not merge in the
		 * last scans: those of the previous rows' mappings, which
		 * this one may reuse.
		 */
		ksm_smart = sysctl(KSM "/smart_scan", NULL);
		if (ksm_run < 0 || sysctl(KSM "/run", "0") ||
		    sysctl(KSM "/pages_to_scan", "1000") ||
		    sysctl(KSM "/sleep_millisecs", "10") ||
		    (ksm_smart >= 0 && sysctl(KSM "/smart_scan", "0")))
			die("KSM (CONFIG_KSM)");
		if (madvise(r.map, r.maplen, MADV_MERGEABLE))
			die("MADV_MERGEABLE");
		break;
	case NUMA_HINT: {
		cpu_set_t cpus;

		if (sysctl(NUMA_BALANCING, NULL) < 0)
			die("NUMA balancing (CONFIG_NUMA_BALANCING)");
		/* On the node of its pages: no hinting fault migrates them. */
		if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
			die("sched_getaffinity");
		CPU_ZERO(&cpus);
		CPU_SET(0, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus))
			die("sched_setaffinity");
		/*
		 * Hinting leaves alone the pages on the node of a
		 * single-threaded task: a second thread makes each a
		 * candidate.
		 */
		if (pthread_create(&idle, NULL, idle_thread, NULL))
			die("pthread_create");
		break;
	}
	default:
		break;
	}
	if (!pfns(before, r.p))
		die("pagemap (no pfn)");
	counters(&r, &c);

	if (held) {
		fill(r.buf, NPAGES, held_seed);
		if (submit(r.fd, r.buf, HMM_USERPTR_HOLD |
			   (writable ? HMM_USERPTR_WRITE : 0), NULL))
			die("held submission");
		completer_start(&w, r.fd, r.buf);
	}

	switch (op) {
	case MPROTECT_DOWN:
		ret = mprotect(r.p, NPAGES * page, PROT_READ);
		break;
	case MPROTECT_UP:
		ret = mprotect(r.p, NPAGES * page, PROT_READ | PROT_WRITE);
		break;
	case SOFT_DIRTY:
		ret = sysctl("/proc/self/clear_refs", "4");
		break;
	case UFFD_WP:
		ret = uffd_wp(uffd, r.p, NPAGES * page, true);
		break;
	case KSM_MERGE:
		ret = sysctl(KSM "/run", "1");
		/* A mirror that acts waits in the second scan; then three. */
		if (!ret && !ksm_scans(5, 120))
			fail(&r, "KSM did not scan 5 times in 120 s");
		sysctl(KSM "/run", "0");
		break;
	case NUMA_HINT: {
		double t0 = cpu_ms();

		ret = sysctl(NUMA_BALANCING, "1");
		/* Scans are paced by this task's CPU time: keep busy, reading. */
		while (!ret && cpu_ms() - t0 < NUMA_CPU_MS)
			for (int i = 0; i < 16000; i++)
				__atomic_load_n(&r.p[0], __ATOMIC_RELAXED);
		sysctl(NUMA_BALANCING, "0");
		break;
	}
	case MUNMAP:
		ret = munmap(r.p, NPAGES * page);
		break;
	case MIGRATE: {
		int nodes[NPAGES], status[NPAGES];
		void *pages[NPAGES];

		for (int i = 0; i < NPAGES; i++)
			pages[i] = r.p + i * page;
		ret = syscall(__NR_move_pages, 0, NPAGES, pages, NULL, status, 0);
		for (int i = 0; !ret && i < NPAGES; i++)
			nodes[i] = !status[i];
		/* > 0: pages that did not move (pinned ones cannot). */
		if (!ret) {
			not_moved = syscall(__NR_move_pages, 0, NPAGES, pages,
					    nodes, status, MPOL_MF_MOVE);
			ret = not_moved < 0 ? -1 : 0;
		}
		break;
	}
	default:
		ret = -1;
	}
	if (ret)
		die(op_name[op]);

	if (held) {
		__atomic_store_n(&w.cpu_done, 1, __ATOMIC_RELEASE);
		pthread_join(w.thread, NULL);
		if (w.ret)
			fail(&r, "completing the held work: %s", strerror(-w.ret));
		if (w.timed_out)
			fail(&r, "the completer timed out");
		/* Nothing waited for it: it is still held, with its pages. */
		if (!w.completed && complete(r.fd, r.buf))
			fail(&r, "completing the held work");
		/* The held read saw the data from before the operation. */
		if (k->ro && !filled(r.buf, NPAGES, 1))
			fail(&r, "the held read saw other data");
	}
	counters(&r, &c);
	if (!c.invalidations)
		fail(&r, "no invalidation: the operation did not happen");
	if (c.invalidations != c.kept + c.acted + c.refused || c.refused)
		fail(&r, "%llu invalidations: %llu kept %llu acted %llu refused",
		     c.invalidations, c.kept, c.acted, c.refused);
	if (c.wait_timeouts)
		fail(&r, "%llu waits timed out", c.wait_timeouts);
	/*
	 * A callback that acts while device work is held must wait for it,
	 * during the operation: the work may write the pages the operation
	 * is about to protect, replace or free.
	 */
	if (held && !!c.acted != w.waited)
		fail(&r, "%llu callbacks acted but the completer saw %d waiting",
		     c.acted, w.waited);
	if (held && w.waited && !w.waited_in_op)
		fail(&r, "a callback waited after the operation returned");
	if (held && c.waits != (unsigned long long)w.waited)
		fail(&r, "%llu waits counted, the completer saw %d", c.waits,
		     w.waited);

	if (op == MUNMAP) {
		/* The range is gone: the next access fails, nothing to look up. */
		if (submit(r.fd, r.buf, 0, NULL) != -EFAULT)
			fail(&r, "a device access after munmap did not fail");
		printf("userptr,%s,%s,%llu,%llu,%llu,-,-,-,-,%s\n", k->name,
		       op_name[op], c.invalidations, c.acted, c.waits,
		       r.fail[0] ? r.fail : "ok");
		goto out;
	}

	/* The held write landed in the pages the CPU maps now. */
	data_seed = held ? held_seed : 1;
	if (!filled(r.p, NPAGES, data_seed))
		fail(&r, "the CPU does not see the held write");
	ret = stale(r.fd);
	if (ret)
		fail(&r, ret < 0 ? "HMM_USERPTR_CHECK: %d" : "%d stale pages", ret);
	have_pfns = pfns(after, r.p);
	if (!have_pfns)
		fail(&r, "pagemap shows a page not present");
	for (int i = 0; have_pfns && i < NPAGES; i++)
		moved += before[i] != after[i];
	if (op == KSM_MERGE) {
		memcpy(r.buf, lo, NPAGES / 2 * page);
		memcpy(r.buf + NPAGES / 2 * page, hi, NPAGES / 2 * page);
		if (!filled(r.buf, NPAGES, 1))
			fail(&r, "the copies KSM merged with changed");
		/* A read-only mirror lets KSM replace half of its pages. */
		if (k->kind == HMM_USERPTR_MIRROR && k->ro && !moved)
			fail(&r, "KSM merged none of the userptr");
	}
	/* Pinned pages cannot move or be merged; a mirror's all migrate. */
	if (k->kind == HMM_USERPTR_PINNED && moved)
		fail(&r, "%lu pinned pages moved", moved);
	if (op == MIGRATE && k->kind == HMM_USERPTR_MIRROR &&
	    (not_moved || moved != NPAGES))
		fail(&r, "%lu of %d pages moved", moved, NPAGES);

	/* Access back where the operation took it, not counted. */
	if (op == MPROTECT_DOWN && mprotect(r.p, NPAGES * page, PROT_READ | PROT_WRITE))
		die("mprotect");
	if (op == UFFD_WP && uffd_wp(uffd, r.p, NPAGES * page, false))
		die("userfaultfd un-protect");
	counters(&r, &c2);
	/*
	 * The next device access revalidates if and only if a callback
	 * acted since the last one (or the userptr was invalid before the
	 * operation: a writable one over read-only memory).
	 */
	expect_reval = c.acted || c2.acted || (op == MPROTECT_UP && writable);

	/* The next device access, a read: what it needed. */
	memset(r.buf, 0, NPAGES * page);
	if (submit(r.fd, r.buf, 0, &reval))
		fail(&r, "the next device read failed");
	else if (!filled(r.buf, NPAGES, data_seed))
		fail(&r, "the next device read saw other data than the CPU");
	else if (reval != expect_reval)
		fail(&r, "the next device read %s", reval ?
		     "revalidated though no callback acted" :
		     "did not revalidate though a callback acted");
	counters(&r, &c2);

	/* Not counted: the device sees a CPU write, and the CPU a device one. */
	fill(r.p, NPAGES, 4);
	memset(r.buf, 0, NPAGES * page);
	if (submit(r.fd, r.buf, 0, NULL) || !filled(r.buf, NPAGES, 4))
		fail(&r, "a device read after a CPU write saw other data");
	fill(r.buf, NPAGES, 3);
	ret = submit(r.fd, r.buf, HMM_USERPTR_WRITE, NULL);
	if (k->ro ? ret != -EPERM : ret != 0)
		fail(&r, "a device write: %d", ret);
	if (!filled(r.p, NPAGES, k->ro ? 4 : 3))
		fail(&r, "the CPU does not see what it should after a device write");
	printf("userptr,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu,%lu,%s\n", k->name,
	       op_name[op], c.invalidations, c.acted, c.waits, c2.revalidations,
	       c2.pages, c2.device_faults, moved, r.fail[0] ? r.fail : "ok");
out:
	if (op == KSM_MERGE) {
		madvise(r.map, r.maplen, MADV_UNMERGEABLE);
		snprintf(v, sizeof(v), "%ld", ksm_pages);
		sysctl(KSM "/pages_to_scan", v);
		snprintf(v, sizeof(v), "%ld", ksm_sleep);
		sysctl(KSM "/sleep_millisecs", v);
		if (ksm_smart >= 0)
			sysctl(KSM "/smart_scan", ksm_smart ? "1" : "0");
		snprintf(v, sizeof(v), "%ld", ksm_run);
		sysctl(KSM "/run", v);
	}
	if (op == NUMA_HINT) {
		pthread_cancel(idle);
		pthread_join(idle, NULL);
		sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
	}
	if (uffd >= 0)
		close(uffd);
	close(r.fd);
	munmap(r.map, r.maplen);
	free(r.buf);
	fflush(stdout);
	return r.fail[0] ? 1 : 0;
}

int main(void)
{
	struct hmm_userptr_counters c;
	long numa = sysctl(NUMA_BALANCING, NULL);
	int fd, failed = 0;

	page = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0)
		die("/dev/hmm_dmirror0 (CONFIG_TEST_HMM)");
	if (ioctl(fd, HMM_USERPTR_COUNTERS, &c)) {
		fprintf(stderr, "userptr-bench: test_hmm has no userptr models (HMM_USERPTR_COUNTERS): %s\n",
			strerror(errno));
		return 2;
	}
	close(fd);
	if (access("/sys/devices/system/node/node1", F_OK)) {
		fprintf(stderr, "userptr-bench: needs two NUMA nodes (numa=fake=2)\n");
		return 1;
	}
	printf("userptr-config,npages,%d,numa_cpu_ms,%d\n", NPAGES, NUMA_CPU_MS);
	/* NUMA balancing would invalidate behind the other rows' backs. */
	sysctl(NUMA_BALANCING, "0");
	for (unsigned int k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (int op = 0; op < NR_OPS; op++)
			failed += run_row(&kinds[k], op);
	if (numa >= 0) {
		char v[24];

		snprintf(v, sizeof(v), "%ld", numa);
		sysctl(NUMA_BALANCING, v);
	}
	if (failed)
		fprintf(stderr, "userptr-bench: %d rows failed their checks\n", failed);
	return failed ? 1 : 0;
}
