// SPDX-License-Identifier: GPL-2.0
/*
 * mirror-bench: what each kind of invalidation costs a secondary MMU, and
 * what the notifier core costs the CPU, on the kernel it runs on.
 *
 * Part 1: a device (the HMM test driver, /dev/hmm_dmirror0) mirrors a
 * buffer of NPAGES pages with write access; one operation is performed on
 * it; the driver's counters (HMM_DMIRROR_COUNTERS) give the callbacks, the
 * entries dropped (freed included) and write-protected; then the faults a
 * device read and, where the CPU allows it, a device write need.  One line
 * per operation:
 *   op,<name>,<callbacks>,<dropped>,<wrprotected>,<read faults>,<write faults>
 * with "-" where the access is refused, as it must be.
 *
 * Part 2: loops of mprotect() down and up, and of mmap()/touch/munmap(),
 * with 0, 1 and 64 subscribed mirrors, timed with CLOCK_MONOTONIC (under
 * qemu -icount, the guest's clock counts instructions).  One line each:
 *   core,<loop>,<subscribers>,<ns per iteration>
 *
 * Needs the counters patch in test_hmm; exits 2 without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#define NPAGES		4096
#define KSM		"/sys/kernel/mm/ksm"
#define NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"

static unsigned long page, len;
static char *buf;

static int device(int fd, unsigned long req, void *addr)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (unsigned long)addr,
		.ptr = (unsigned long)buf,
		.npages = NPAGES,
	};

	while (ioctl(fd, req, &cmd))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static struct hmm_dmirror_counters counters(int fd)
{
	struct hmm_dmirror_counters c;

	if (ioctl(fd, HMM_DMIRROR_COUNTERS, &c))
		die("HMM_DMIRROR_COUNTERS");
	return c;
}

/* Page i of a buffer holds seed + i in its first word. */
static void fill(char *p, unsigned long npages, int seed)
{
	for (unsigned long i = 0; i < npages; i++)
		*(int *)(p + i * page) = seed + i;
}

/*
 * A buffer of small pages between two inaccessible guard pages, so that no
 * neighbour's invalidation or entries mix with its own.
 */
static char *map_at(char *at, unsigned long npages)
{
	unsigned long l = npages * page;
	char *p = mmap(at ? at - page : NULL, l + 2 * page, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	p += page;
	if (mprotect(p, l, PROT_READ | PROT_WRITE) ||
	    madvise(p, l, MADV_NOHUGEPAGE))
		die("mprotect");
	fill(p, npages, 1);
	return p;
}

static char *map(void)
{
	return map_at(NULL, NPAGES);
}

/* The faults a device access needs, or -1 if it is refused. */
static long faults(int fd, unsigned long req, char *p)
{
	if (device(fd, req, p))
		return -1;
	return counters(fd).faulted;
}

static void report(const char *op, struct hmm_dmirror_counters c, long rd,
		   long wr)
{
	char r[24] = "-", w[24] = "-";

	if (rd >= 0)
		snprintf(r, sizeof(r), "%ld", rd);
	if (wr >= 0)
		snprintf(w, sizeof(w), "%ld", wr);
	printf("op,%s,%llu,%llu,%llu,%s,%s\n", op, c.invalidations,
	       c.dropped + c.freed, c.wrprotected, r, w);
	fflush(stdout);
}

/*
 * Report what the operation just done cost (the counters since they were
 * last read), then the faults a device read and a device write need.
 */
static void outcome(int fd, const char *op, char *p)
{
	struct hmm_dmirror_counters c = counters(fd);
	long rd = faults(fd, HMM_DMIRROR_READ, p);

	report(op, c, rd, faults(fd, HMM_DMIRROR_WRITE, p));
}

/* A buffer the device maps writable, counters cleared. */
static char *mirrored(int fd)
{
	char *p = map();

	memcpy(buf, p, len);
	if (device(fd, HMM_DMIRROR_WRITE, p))
		die("device write");
	counters(fd);
	return p;
}

static void op_munmap(int fd)
{
	char *p = mirrored(fd);

	munmap(p, len);
	outcome(fd, "munmap", p);
}

static void op_mprotect(int fd)
{
	char *p = mirrored(fd);

	mprotect(p, len, PROT_READ);
	outcome(fd, "mprotect down", p);
	/* The device now maps the pages read-only. */
	mprotect(p, len, PROT_READ | PROT_WRITE);
	outcome(fd, "mprotect up", p);
	munmap(p, len);
}

static void op_soft_dirty(int fd)
{
	char *p = mirrored(fd);

	if (sysctl("/proc/self/clear_refs", "4") < 0)
		die("clear_refs");
	outcome(fd, "soft-dirty clear", p);
	munmap(p, len);
}

static void op_uffd_wp(int fd)
{
	char *p = mirrored(fd);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("userfaultfd write-protect");
	counters(fd);
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		die("UFFDIO_WRITEPROTECT");
	/* A device write would need a userfaultfd message: refused. */
	outcome(fd, "uffd-wp", p);
	close(uffd);
	munmap(p, len);
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void op_numa_hint(int fd)
{
	char *p = mirrored(fd);
	volatile char *v = p;
	struct hmm_dmirror_counters c = { 0 }, d;
	time_t t0 = time(NULL);
	pthread_t idle;
	int sum = 0;
	long rd;

	/* Every page a candidate: not a single-threaded task's local node. */
	if (pthread_create(&idle, NULL, idle_thread, NULL))
		die("pthread_create");
	sysctl("/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "0");
	sysctl("/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms",
	       "100");
	sysctl(NUMA_BALANCING, "1");
	/* One full scan of the buffer; the CPU only reads it meanwhile. */
	while (c.dropped + c.wrprotected < NPAGES && time(NULL) - t0 < 60) {
		for (unsigned long i = 0; i < len; i += page)
			sum += v[i];
		d = counters(fd);
		c.invalidations += d.invalidations;
		c.dropped += d.dropped;
		c.freed += d.freed;
		c.wrprotected += d.wrprotected;
	}
	sysctl(NUMA_BALANCING, "0");
	if (c.dropped + c.wrprotected < NPAGES)
		fprintf(stderr, "mirror-bench: NUMA hinting reached %llu of %d pages in %lds (%d)\n",
			c.dropped + c.wrprotected, NPAGES,
			(long)(time(NULL) - t0), sum);
	/* The read first: a write would restore read access too. */
	rd = faults(fd, HMM_DMIRROR_READ, p);
	report("NUMA hinting", c, rd, faults(fd, HMM_DMIRROR_WRITE, p));
	munmap(p, len);
}

/*
 * The buffer between copies of its halves, below and above it: KSM scans by
 * address and keeps, of two identical pages, the one it scans second.  So
 * the first half of the buffer becomes KSM pages in place (write protected)
 * and the second half is replaced by the copy above it.
 */
static void op_ksm(int fd)
{
	unsigned long half = len / 2;
	char *r = mmap(NULL, 2 * len + 4 * page, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *lo, *p, *hi;
	long merged = 0;

	if (r == MAP_FAILED)
		die("mmap");
	lo = map_at(r + page, NPAGES / 2);
	p = map_at(lo + half + page, NPAGES);
	hi = map_at(p + len + page, NPAGES / 2);
	fill(hi, NPAGES / 2, 1 + NPAGES / 2);
	memcpy(buf, p, len);
	if (device(fd, HMM_DMIRROR_WRITE, p))
		die("device write");
	sysctl(KSM "/run", "0");
	madvise(r, 2 * len + 4 * page, MADV_MERGEABLE);
	counters(fd);
	sysctl(KSM "/sleep_millisecs", "0");
	sysctl(KSM "/pages_to_scan", "1000");
	sysctl(KSM "/run", "1");
	for (int i = 0; i < 1200 && merged < 2 * NPAGES; i++) {
		usleep(50000);
		merged = sysctl("/proc/self/ksm_merging_pages", NULL);
	}
	sysctl(KSM "/run", "0");
	if (merged < 2 * NPAGES)
		fprintf(stderr, "mirror-bench: KSM merged %ld of %d pages\n",
			merged, 2 * NPAGES);
	outcome(fd, "KSM merge", p);
	madvise(r, 2 * len + 4 * page, MADV_UNMERGEABLE);
	munmap(r, 2 * len + 4 * page);
}

static void op_migrate(int fd)
{
	char *p = mirrored(fd);
	static void *pages[NPAGES];
	static int nodes[NPAGES], status[NPAGES];

	/* Each page to the node it is not on. */
	for (int i = 0; i < NPAGES; i++)
		pages[i] = p + i * page;
	if (syscall(__NR_move_pages, 0, NPAGES, pages, NULL, status, 0))
		die("move_pages (query)");
	for (int i = 0; i < NPAGES; i++)
		nodes[i] = !status[i];
	counters(fd);
	if (syscall(__NR_move_pages, 0, NPAGES, pages, nodes, status,
		    MPOL_MF_MOVE))
		die("move_pages");
	outcome(fd, "migration", p);
	munmap(p, len);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define LOOP_PAGES	16
#define ITERATIONS	20000

static void core(int subscribers)
{
	unsigned long l = LOOP_PAGES * page;
	int fds[64];
	long long t;
	char *p;

	for (int i = 0; i < subscribers; i++) {
		fds[i] = open("/dev/hmm_dmirror0", O_RDWR);
		if (fds[i] < 0)
			die("open /dev/hmm_dmirror0");
	}
	p = mmap(NULL, l, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, l);
	t = now_ns();
	for (int i = 0; i < ITERATIONS; i++) {
		mprotect(p, l, PROT_READ);
		mprotect(p, l, PROT_READ | PROT_WRITE);
	}
	printf("core,mprotect down+up,%d,%lld\n", subscribers,
	       (now_ns() - t) / ITERATIONS);
	munmap(p, l);
	t = now_ns();
	for (int i = 0; i < ITERATIONS; i++) {
		p = mmap(NULL, l, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (unsigned long o = 0; o < l; o += page)
			p[o] = 1;
		munmap(p, l);
	}
	printf("core,mmap+touch+munmap,%d,%lld\n", subscribers,
	       (now_ns() - t) / ITERATIONS);
	fflush(stdout);
	for (int i = 0; i < subscribers; i++)
		close(fds[i]);
}

int main(void)
{
	struct hmm_dmirror_counters c;
	int fd;

	page = sysconf(_SC_PAGESIZE);
	len = NPAGES * page;
	buf = malloc(len);
	if (!buf)
		die("malloc");
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0)
		die("open /dev/hmm_dmirror0");
	if (ioctl(fd, HMM_DMIRROR_COUNTERS, &c)) {
		fprintf(stderr, "mirror-bench: test_hmm has no counters (HMM_DMIRROR_COUNTERS)\n");
		return 2;
	}
	sysctl(NUMA_BALANCING, "0");
	op_munmap(fd);
	op_mprotect(fd);
	op_soft_dirty(fd);
	op_uffd_wp(fd);
	op_numa_hint(fd);
	op_ksm(fd);
	op_migrate(fd);
	close(fd);

	core(0);
	core(1);
	core(64);
	return 0;
}
