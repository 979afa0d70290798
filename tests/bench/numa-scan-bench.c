// SPDX-License-Identifier: GPL-2.0
/*
 * What a NUMA hinting scan of a large mm costs, with and without an
 * MMU-notifier listener (make bench, under -icount: the TSC counts
 * instructions, one per cycle).
 *
 * task_numa_work() runs in the task's context on its way back to user
 * space, after the tick that queued it.  This program maps SIZE MiB of
 * anonymous memory, populates it, and spins on rdtsc in user space: every
 * gap between two reads longer than BIG instructions is a scan of the
 * mapping (a tick alone costs about 2000, a scan of the program's few
 * other vmas about 150000).  The scan period is 100 ms and each scan
 * covers scan_size_mb (256) of the mapping if it changes a pte there, 8
 * times that if not (see task_numa_work()).
 *
 * Per cycle (a fresh mapping each time), three phases:
 *   full:   every pte of the mapping is accessible; the scans (one per
 *           256 MiB chunk) make all of them PROT_NONE: one whole-mm scan.
 *   none:   the same mapping, untouched since: each scan reads 2 GiB of
 *           ptes already PROT_NONE and changes nothing (the prescan's
 *           worst case: it reads everything and sends nothing).
 *   sparse: one page per 2 MiB touched (a hinting fault makes it
 *           accessible again), three times, then a whole pass: a few ptes
 *           change in each 256 MiB chunk, spread over it.
 *
 * A helper thread that only sleeps keeps mm_users at 2: NUMA hinting then
 * changes ptes whatever node their pages are on (for a single-threaded
 * task it leaves those on the task's node alone).
 *
 * Listeners: none; hmm (open /dev/hmm_dmirror0: test_hmm registers an
 * interval notifier over the whole mm, whose callback has nothing to drop
 * here); kvm (KVM_CREATE_VM and a memslot over the mapping, no vCPU: what
 * every KVM guest's mm has, minus the SPTEs).
 *
 * Output: "# numa-scan,<listener>,<cycle>,<phase>,<gap#>,<instructions>"
 * per scan, and "# numa-tick,<listener>,<median small gap>,<gaps>".
 *
 * Usage: numa-scan-bench [none|hmm|kvm]... (default: all three)
 * Environment: NSB_SIZE_MB (2048), NSB_CYCLES (3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>

#define BIG	1000000ULL	/* instructions: more is a scan of the mapping */
#define NB	"/sys/kernel/debug/sched/numa_balancing/"
#define CHUNK	(256UL << 20)	/* scan_size_mb */
#define TWOMEG	(2UL << 20)

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static unsigned long long small[4096];
static int nsmall;

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Spin until a gap longer than BIG; return its length in instructions, or 0
 * after limit instructions.
 */
static unsigned long long next_gap(unsigned long long limit)
{
	unsigned long long t0 = __rdtsc(), prev = t0, t, d;

	for (;;) {
		t = __rdtsc();
		d = t - prev;
		if (d > BIG)
			return d;
		if (d > 1000 && d < 100000 && nsmall < 4096)
			small[nsmall++] = d;
		prev = t;
		if (t - t0 > limit)
			return 0;
	}
}

struct listener {
	const char *name;
	int fd, vm;
};

static int listen_start(struct listener *l)
{
	l->fd = l->vm = -1;
	if (!strcmp(l->name, "none"))
		return 0;
	if (!strcmp(l->name, "hmm")) {
		l->fd = open("/dev/hmm_dmirror0", O_RDWR);
		return l->fd < 0 ? -1 : 0;
	}
	if (!strcmp(l->name, "kvm")) {
		l->fd = open("/dev/kvm", O_RDWR);
		if (l->fd < 0)
			return -1;
		l->vm = ioctl(l->fd, KVM_CREATE_VM, 0);
		return l->vm < 0 ? -1 : 0;
	}
	return -1;
}

static int memslot(struct listener *l, void *p, unsigned long size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 1UL << 32,
		.memory_size = size,
		.userspace_addr = (unsigned long)p,
	};

	if (l->vm < 0)
		return 0;
	return ioctl(l->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void listen_stop(struct listener *l)
{
	if (l->vm >= 0)
		close(l->vm);
	if (l->fd >= 0)
		close(l->fd);
}

static void report(const char *ln, int c, const char *phase, int i,
		   unsigned long long g)
{
	printf("# numa-scan,%s,%d,%s,%d,%llu\n", ln, c, phase, i, g);
	fflush(stdout);
}

static int run(const char *ln, unsigned long size, int cycles)
{
	const unsigned long long lim = 1500000000ULL; /* 1.5 s of guest time */
	/* the scans of a pass (and a small one for the 2 MiB of slack) */
	int chunks = size / CHUNK;
	struct listener l = { .name = ln };
	unsigned long long g;
	int c, i, k;

	if (listen_start(&l)) {
		printf("# numa-scan-skip,%s,%s\n", ln, strerror(errno));
		return 0;
	}
	nsmall = 0;
	for (c = 0; c < cycles; c++) {
		char *raw, *p;

		write_file("/proc/sys/kernel/numa_balancing", "0");
		/* 2 MiB aligned: the scan's chunks then hold whole pte tables */
		raw = mmap(NULL, size + TWOMEG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (raw == MAP_FAILED)
			return perror("mmap"), 1;
		p = (char *)(((unsigned long)raw + TWOMEG - 1) & ~(TWOMEG - 1));
		if (memslot(&l, p, size)) {
			printf("# numa-scan-skip,%s,memslot %s\n", ln, strerror(errno));
			return 0;
		}
		write_file("/proc/sys/kernel/numa_balancing", "1");

		/* full: one pass makes the whole mapping PROT_NONE */
		for (i = 0; i < chunks && (g = next_gap(lim)); i++)
			report(ln, c, "full", i, g);
		/* none: nothing to change */
		for (i = 0; i < 6 && (g = next_gap(lim)); i++)
			report(ln, c, "none", i, g);
		/* sparse: one pte per 2 MiB changes */
		for (k = 0; k < 3; k++) {
			for (unsigned long o = 0; o < size; o += TWOMEG)
				p[o + 4096 * (k + 1)]++;
			for (i = 0; i < chunks && (g = next_gap(lim)); i++)
				report(ln, c, "sparse", k * 10 + i, g);
		}
		write_file("/proc/sys/kernel/numa_balancing", "0");
		memslot(&l, p, 0);
		munmap(raw, size + TWOMEG);
	}
	listen_stop(&l);
	if (nsmall) {
		qsort(small, nsmall, sizeof(small[0]), cmp_ull);
		printf("# numa-tick,%s,%llu,%d\n", ln, small[nsmall / 2], nsmall);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *all[] = { "none", "hmm", "kvm" };
	unsigned long size = strtoul(getenv("NSB_SIZE_MB") ?: "2048", NULL, 0) << 20;
	int cycles = atoi(getenv("NSB_CYCLES") ?: "3");
	pthread_t t;
	int i, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (write_file(NB "scan_delay_ms", "0") ||
	    write_file(NB "scan_period_min_ms", "100") ||
	    write_file(NB "scan_period_max_ms", "100") ||
	    write_file(NB "scan_size_mb", "256")) {
		printf("# numa-scan-skip,all,no %s\n", NB);
		return 0;
	}
	if (pthread_create(&t, NULL, sleeper, NULL))
		return 1;
	if (argc > 1)
		for (i = 1; i < argc; i++)
			rc |= run(argv[i], size, cycles);
	else
		for (i = 0; i < 3; i++)
			rc |= run(all[i], size, cycles);
	write_file("/proc/sys/kernel/numa_balancing", "0");
	return rc;
}
