// SPDX-License-Identifier: GPL-2.0
/*
 * What a secondary TLB (an IOMMU doing SVA, an ATS device) is told during
 * reclaim, migration, munmap and exit: the calls of
 * arch_invalidate_secondary_tlbs() that the HMM test driver's
 * secondary-TLB subscriber counts (HMM_STLB_*, lib/test_hmm.c), those for
 * the whole address space (full) and the others (ranged), and how many of
 * the operation's pages a call covered.
 *
 * A sibling thread spins on CPU 1 while the task works on CPU 0, so that
 * the mm is live on another CPU and x86 batches the CPU flushes of reclaim
 * and migration (arch_tlbbatch_should_defer()); the row reports the TLB
 * shootdowns CPU 1 received, which show whether it did, and checks that
 * the sibling ran during the operation.
 *
 * One line per operation:
 *   stlb,<operation>,<pages>,<calls>,<full>,<ranged>,<ranged pages>,
 *        <most pages in one call>,<pages covered>,<releases>,<shootdowns>,
 *        <check>
 * check is "ok" when the operation happened (the ptes are gone, the pages
 * moved with their data; the exiting child's mm was released once) and
 * every page of it was covered; else what failed, and the program exits 1
 * after the last row.  shootdowns is "-" where not measured.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/mempolicy.h>
#include <lib/test_hmm_uapi.h>

#include "bench.h"

#define NPAGES		512
#define MAIN_CPU	0
#define SIBLING_CPU	1

static long page;
static int fd, pagemap, failed;
static int stop, started;
static unsigned long laps;

static void on_cpu(int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity");
}

static void *spin(void *arg)
{
	on_cpu(SIBLING_CPU);
	__atomic_store_n(&started, sched_getcpu() == SIBLING_CPU ? 1 : -1,
			 __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		__atomic_fetch_add(&laps, 1, __ATOMIC_RELAXED);
	return arg;
}

static unsigned long sibling_laps(void)
{
	return __atomic_load_n(&laps, __ATOMIC_RELAXED);
}

/* TLB shootdowns @cpu received (the "TLB:" row of /proc/interrupts). */
static long shootdowns(int cpu)
{
	char line[4096];
	long n = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		die("/proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *end;

		while (*s == ' ')
			s++;
		if (strncmp(s, "TLB:", 4))
			continue;
		s += 4;
		for (int i = 0; i <= cpu; i++) {
			n = strtol(s, &end, 10);
			if (end == s)
				die("/proc/interrupts: TLB: row too short");
			s = end;
		}
		break;
	}
	fclose(f);
	if (n < 0)
		die("/proc/interrupts: no TLB: row");
	return n;
}

static uint64_t pagemap_entry(char *p)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e), (uintptr_t)p / page * sizeof(e)) != sizeof(e))
		die("/proc/self/pagemap");
	return e;
}

static char seed(unsigned long i)
{
	return 1 + i % 251;
}

static char *region(void)
{
	char *p = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (madvise(p, NPAGES * page, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE");
	for (long i = 0; i < NPAGES; i++)
		p[i * page] = seed(i);
	return p;
}

static void watch(int f, char *p, unsigned long npages)
{
	struct hmm_stlb_window w = { .addr = (uintptr_t)p, .npages = npages };
	struct hmm_stlb_counters c;

	if (ioctl(f, HMM_STLB_WINDOW, &w) || ioctl(f, HMM_STLB_COUNTERS, &c))
		die("HMM_STLB_WINDOW");
}

static void row(int f, const char *op, unsigned long npages, long shot,
		const char *check, unsigned long releases)
{
	struct hmm_stlb_counters c;
	char why[128], shots[32] = "-";

	if (ioctl(f, HMM_STLB_COUNTERS, &c))
		die("HMM_STLB_COUNTERS");
	if (shot >= 0)
		snprintf(shots, sizeof(shots), "%ld", shot);
	if (!check && c.releases != releases) {
		snprintf(why, sizeof(why), "%llu releases, %lu expected",
			 c.releases, releases);
		check = why;
	}
	if (!check && c.covered != npages) {
		snprintf(why, sizeof(why), "%llu of %lu pages covered",
			 c.covered, npages);
		check = why;
	}
	if (check)
		failed = 1;
	printf("stlb,%s,%lu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%s,%s\n", op,
	       npages, c.calls, c.full, c.ranged, c.pages, c.max_pages,
	       c.covered, c.releases, shots, check ? check : "ok");
	fflush(stdout);
}

int main(void)
{
	unsigned long old[NPAGES], lap;
	int nodes[NPAGES], status[NPAGES];
	void *pages[NPAGES];
	const char *check;
	pthread_t sibling;
	int from, child;
	long before;
	char *p;

	page = sysconf(_SC_PAGESIZE);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		errno = ENODEV;
		die("needs 2 CPUs");
	}
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0)
		die("/dev/hmm_dmirror0");
	if (ioctl(fd, HMM_STLB_REGISTER))
		die("HMM_STLB_REGISTER");
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap < 0)
		die("/proc/self/pagemap");
	printf("stlb-config,npages,%d,cpus,%ld\n", NPAGES,
	       sysconf(_SC_NPROCESSORS_ONLN));
	on_cpu(MAIN_CPU);
	if (pthread_create(&sibling, NULL, spin, NULL))
		die("pthread_create");
	for (int ms = 0; ms < 5000 && !__atomic_load_n(&started, __ATOMIC_ACQUIRE); ms++)
		usleep(1000);
	if (__atomic_load_n(&started, __ATOMIC_ACQUIRE) != 1) {
		errno = ESRCH;
		die("the sibling thread did not start on CPU 1");
	}

	/* Reclaim: MADV_FREE, then MADV_PAGEOUT drops the clean pages. */
	p = region();
	if (madvise(p, NPAGES * page, MADV_FREE))
		die("MADV_FREE");
	watch(fd, p, NPAGES);
	before = shootdowns(SIBLING_CPU);
	lap = sibling_laps();
	if (madvise(p, NPAGES * page, MADV_PAGEOUT))
		die("MADV_PAGEOUT");
	before = shootdowns(SIBLING_CPU) - before;
	check = sibling_laps() == lap ? "the sibling did not run" : NULL;
	for (long i = 0; i < NPAGES; i++)
		if (pagemap_entry(p + i * page) >> 63)
			check = "a page was not reclaimed";
	row(fd, "reclaim", NPAGES, before, check, 0);
	munmap(p, NPAGES * page);

	/* Migration of every page to the other node. */
	p = region();
	for (long i = 0; i < NPAGES; i++) {
		pages[i] = p + i * page;
		old[i] = pagemap_entry(pages[i]) & ((1ULL << 55) - 1);
	}
	if (syscall(__NR_move_pages, 0, 1, pages, NULL, &from, 0) || from < 0)
		die("move_pages (query)");
	for (long i = 0; i < NPAGES; i++)
		nodes[i] = !from;
	watch(fd, p, NPAGES);
	before = shootdowns(SIBLING_CPU);
	lap = sibling_laps();
	if (syscall(__NR_move_pages, 0, NPAGES, pages, nodes, status, MPOL_MF_MOVE))
		die("move_pages");
	before = shootdowns(SIBLING_CPU) - before;
	check = sibling_laps() == lap ? "the sibling did not run" : NULL;
	for (long i = 0; i < NPAGES; i++)
		if (status[i] != !from ||
		    (pagemap_entry(pages[i]) & ((1ULL << 55) - 1)) == old[i] ||
		    p[i * page] != seed(i))
			check = "a page did not move, or lost its data";
	row(fd, "move_pages", NPAGES, before, check, 0);
	munmap(p, NPAGES * page);

	/* munmap of 16 pages, then of the 496 others. */
	p = region();
	watch(fd, p, 16);
	before = shootdowns(SIBLING_CPU);
	if (munmap(p, 16 * page))
		die("munmap");
	row(fd, "munmap", 16, shootdowns(SIBLING_CPU) - before, NULL, 0);
	watch(fd, p + 16 * page, NPAGES - 16);
	before = shootdowns(SIBLING_CPU);
	if (munmap(p + 16 * page, (NPAGES - 16) * page))
		die("munmap");
	row(fd, "munmap", NPAGES - 16, shootdowns(SIBLING_CPU) - before, NULL, 0);

	/*
	 * Exit of a child that subscribed its own mm through a second open:
	 * release() comes first, then nothing (0 pages watched).
	 */
	child = open("/dev/hmm_dmirror0", O_RDWR);
	if (child < 0)
		die("/dev/hmm_dmirror0");
	switch (fork()) {
	case -1:
		die("fork");
	case 0:
		if (ioctl(child, HMM_STLB_REGISTER))
			_exit(1);
		p = region();
		_exit(0);
	}
	if (wait(&from) < 0 || !WIFEXITED(from) || WEXITSTATUS(from))
		die("the child failed");
	row(child, "exit", 0, -1, NULL, 1);

	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(sibling, NULL);
	return failed;
}
