// what a secondary TLB is told during reclaim, migration and munmap (dev probe)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>
#include <lib/test_hmm_uapi.h>

#define N 512
static long page;
static volatile int stop;

static void *spin(void *a)
{
	cpu_set_t c;

	CPU_ZERO(&c);
	CPU_SET(1, &c);
	sched_setaffinity(0, sizeof(c), &c);
	while (!stop)
		;
	return a;
}

static void show(int fd, const char *what)
{
	struct hmm_stlb_counters c;

	if (ioctl(fd, HMM_STLB_COUNTERS, &c)) {
		perror("HMM_STLB_COUNTERS");
		exit(1);
	}
	printf("stlb,%s,calls %llu,full %llu,ranged %llu,pages %llu,max %llu,releases %llu\n",
	       what, c.calls, c.full, c.ranged, c.pages, c.max_pages, c.releases);
}

static char *region(void)
{
	char *p = mmap(NULL, N * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(1);
	madvise(p, N * page, MADV_NOHUGEPAGE);
	for (int i = 0; i < N; i++)
		p[i * page] = 1;
	return p;
}

int main(int argc, char **argv)
{
	int fd = open("/dev/hmm_dmirror0", O_RDWR);
	int sibling = argc > 1;
	pthread_t t;
	cpu_set_t c;
	char *p;

	page = sysconf(_SC_PAGESIZE);
	if (fd < 0 || ioctl(fd, HMM_STLB_REGISTER)) {
		perror("HMM_STLB_REGISTER");
		return 1;
	}
	CPU_ZERO(&c);
	CPU_SET(0, &c);
	sched_setaffinity(0, sizeof(c), &c);
	if (sibling)
		pthread_create(&t, NULL, spin, NULL);
	sleep(1);
	show(fd, "before");

	p = region();
	show(fd, "touch");
	if (madvise(p, N * page, MADV_FREE) || madvise(p, N * page, MADV_PAGEOUT))
		perror("madvise");
	show(fd, sibling ? "reclaim 512 (sibling on cpu1)" : "reclaim 512 (alone)");
	munmap(p, N * page);
	show(fd, "munmap 512 (after reclaim)");

	p = region();
	show(fd, "touch");
	{
		void *pages[N];
		int nodes[N], status[N];

		for (int i = 0; i < N; i++) {
			pages[i] = p + i * page;
			nodes[i] = 1;
		}
		long r = syscall(__NR_move_pages, 0, N, pages, nodes, status, MPOL_MF_MOVE);
		printf("move_pages: %ld\n", r);
	}
	show(fd, sibling ? "move_pages 512 (sibling on cpu1)" : "move_pages 512 (alone)");
	munmap(p, N * page);
	show(fd, "munmap 512");
	p = region();
	show(fd, "touch");
	munmap(p, 16 * page);
	show(fd, "munmap 16");
	stop = 1;
	if (sibling)
		pthread_join(t, NULL);
	return 0;
}
