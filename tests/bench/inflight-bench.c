// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a device fault waits for an invalidation in flight that it does
 * not overlap.  The HMM test driver's listener (HMM_HOLD_*, lib/test_hmm.c)
 * holds MADV_DONTNEED of one 64-page range, B or A itself, for 300 ms, after
 * the interval notifiers have been told of it, while the device accesses
 * A:
 *
 *   dev-disjoint      the mirror reads A while B is held
 *   dev-overlap       the mirror reads A while A is held
 *   userptr-disjoint  a MIRROR userptr over A, invalidated by MADV_DONTNEED
 *                     of A (not held), revalidates while B is held
 *   userptr-overlap   the userptr revalidates while A is held
 *
 * One line per case:
 *   inflight,<case>,<begins>,<waits>,<held>,<done before release>,
 *            <longest begin us>,<check>
 * begins: read sides the access began (mmu_interval_read_begin*() before
 * hmm_range_fault()); waits: those during which the release happened;
 * done before release: 1 if the access returned while the range was still
 * held.  check is "ok" when the range was held once, the access went
 * through a read side, and it read the data it must (A's for a disjoint
 * read, the zero-filled pages MADV_DONTNEED leaves after an overlapping
 * one); else what failed, and the program exits 1 after the last row.
 *
 * No thread is created, and nothing mapped, while a range is held: that
 * takes the mmap lock for write, which waits for the held madvise().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <lib/test_hmm_uapi.h>

#include "bench.h"

#define NPAGES		64
#define HOLD_MS		300

static long page;
static int fd, failed;
static char *a, *b;
static int *seen;	/* what the device read */

struct hold {
	char *addr;
	int go_hold[2], go_release[2];
	pthread_t holder, releaser;
};

static void *holder(void *arg)
{
	struct hold *h = arg;
	char c;

	if (read(h->go_hold[0], &c, 1) == 1)
		madvise(h->addr, NPAGES * page, MADV_DONTNEED);
	return NULL;
}

static void *releaser(void *arg)
{
	struct hold *h = arg;
	char c;

	if (read(h->go_release[0], &c, 1) == 1) {
		usleep(HOLD_MS * 1000);
		if (ioctl(fd, HMM_HOLD_RELEASE))
			die("HMM_HOLD_RELEASE");
	}
	return NULL;
}

/* Hold MADV_DONTNEED of @addr in the listener; start the release clock. */
static void hold(struct hold *h, char *addr)
{
	struct hmm_hold st = { .addr = (uintptr_t)addr, .npages = NPAGES };
	int i;

	h->addr = addr;
	if (pipe(h->go_hold) || pipe(h->go_release))
		die("pipe");
	if (pthread_create(&h->holder, NULL, holder, h) ||
	    pthread_create(&h->releaser, NULL, releaser, h))
		die("pthread_create");
	if (ioctl(fd, HMM_HOLD_ARM, &st))
		die("HMM_HOLD_ARM");
	if (write(h->go_hold[1], "g", 1) != 1)
		die("pipe write");
	for (i = 0; i < 10000 && !st.holding; i++) {
		usleep(1000);
		if (ioctl(fd, HMM_HOLD_STATUS, &st))
			die("HMM_HOLD_STATUS");
	}
	if (!st.holding) {
		errno = ETIMEDOUT;
		die("the listener did not hold the range");
	}
	if (write(h->go_release[1], "g", 1) != 1)
		die("pipe write");
}

static void unhold(struct hold *h)
{
	pthread_join(h->holder, NULL);
	pthread_join(h->releaser, NULL);
	close(h->go_hold[0]);
	close(h->go_hold[1]);
	close(h->go_release[0]);
	close(h->go_release[1]);
}

static void fill(char *p, int v)
{
	for (size_t i = 0; i < NPAGES * page / sizeof(int); i++)
		((int *)p)[i] = v + i;
}

/* "ok" if @seen holds @v + i (or zeros when @v is -1) */
static const char *check_seen(int v)
{
	for (size_t i = 0; i < NPAGES * page / sizeof(int); i++)
		if (seen[i] != (v < 0 ? 0 : (int)(v + i)))
			return v < 0 ? "read old data" : "read wrong data";
	return "ok";
}

static int device_read(void)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)a, .ptr = (uintptr_t)seen, .npages = NPAGES,
	};

	while (ioctl(fd, HMM_DMIRROR_READ, &cmd))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int userptr(unsigned long request, struct hmm_userptr_cmd *cmd)
{
	while (ioctl(fd, request, cmd))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void row(const char *name, struct hold *h, int err, int want)
{
	struct hmm_hold st, end;
	const char *check;

	if (ioctl(fd, HMM_HOLD_STATUS, &st))
		die("HMM_HOLD_STATUS");
	unhold(h);
	if (ioctl(fd, HMM_HOLD_STATUS, &end))
		die("HMM_HOLD_STATUS");
	if (err)
		check = "access failed";
	else if (end.held != 1 || end.releases != 1)
		check = "not held once";
	else if (!st.begins)
		check = "no read side";
	else
		check = check_seen(want);
	if (strcmp(check, "ok"))
		failed = 1;
	printf("inflight,%s,%llu,%llu,%llu,%d,%llu,%s\n", name,
	       (unsigned long long)st.begins, (unsigned long long)st.begin_waits,
	       (unsigned long long)st.held, st.releases == 0,
	       (unsigned long long)st.begin_max_ns / 1000, check);
	fflush(stdout);
}

int main(void)
{
	struct hmm_userptr_cmd cmd;
	struct hold h;
	char *base;

	page = sysconf(_SC_PAGE_SIZE);
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0)
		die("/dev/hmm_dmirror0");
	/* A, a gap nobody touches, B */
	base = mmap(NULL, 3 * NPAGES * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	seen = malloc(NPAGES * page);
	if (base == MAP_FAILED || !seen)
		die("mmap");
	a = base;
	b = base + 2 * NPAGES * page;

	fill(a, 1);
	fill(b, 2);
	hold(&h, b);
	row("dev-disjoint", &h, device_read(), 1);

	/* A is no longer mirrored after its own MADV_DONTNEED. */
	madvise(a, NPAGES * page, MADV_DONTNEED);
	fill(a, 3);
	hold(&h, a);
	row("dev-overlap", &h, device_read(), -1);

	fill(a, 4);
	cmd = (struct hmm_userptr_cmd) {
		.addr = (uintptr_t)a, .npages = NPAGES,
		.kind = HMM_USERPTR_MIRROR,
	};
	if (userptr(HMM_USERPTR_REGISTER, &cmd))
		die("HMM_USERPTR_REGISTER");
	cmd = (struct hmm_userptr_cmd) { .ptr = (uintptr_t)seen };
	if (userptr(HMM_USERPTR_SUBMIT, &cmd))
		die("HMM_USERPTR_SUBMIT");
	fill(b, 5);
	hold(&h, b);
	madvise(a, NPAGES * page, MADV_DONTNEED);
	row("userptr-disjoint", &h, userptr(HMM_USERPTR_SUBMIT, &cmd), -1);

	fill(a, 6);
	if (userptr(HMM_USERPTR_SUBMIT, &cmd))
		die("HMM_USERPTR_SUBMIT");
	hold(&h, a);
	row("userptr-overlap", &h, userptr(HMM_USERPTR_SUBMIT, &cmd), -1);
	return failed;
}
