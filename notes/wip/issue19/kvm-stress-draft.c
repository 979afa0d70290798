/*
 * DRAFT for issue 19 item 1, not built by the harness: the --stress=SECONDS
 * mode of tests/guest/kvm-mmu-notifier.c, to insert before main() (main
 * parses --stress=N and calls stress_mode(want_mmu, N) like --isolation).
 * It compiles with the rest of the file (gcc -Wall -Wextra); its first
 * runs in the guest are in progress-2026-12-07.md.
 */

/*
 * --stress=SECONDS: the guest, two device writers, a device reader and a
 * CPU writer access slot 1 while other threads change its mappings in
 * every way the series names, on the same pages and beside them.
 * Pages by owner: 0-255 the guest's, 256-383 and 384-511 the two device
 * writers', 512-1023 the CPU writer's.  Only the owner writes its pages,
 * and no mutator changes data, so after each write the owner must find
 * its value in every page it wrote: else a write was lost, or landed in
 * a page that is no longer the process's.  The device reader reads the
 * CPU's pages: each holds the generation being written or one after the
 * last one written before the read began.  A forked child checks that
 * its copy does not change after the fork (a parent-side write into a
 * page they share).
 */
#define ST_GUEST	256
#define ST_DEV		256		/* 2 x 128 */
#define ST_CPU0		(ST_GUEST + ST_DEV)
#define ST_CPU		(NPAGES - ST_CPU0)
#define ST_DEV_N	2

enum { M_MPROTECT, M_SPLIT, M_CLEAR_REFS, M_UFFD_WP, M_MOVE, M_COLLAPSE, M_KSM,
       M_FORK, M_REMAP, M_N };
static const char *const m_names[M_N] = {
	"mprotect", "split", "clear_refs", "uffd_wp", "move_pages", "collapse", "ksm",
	"fork", "munmap_remap",
};

struct stress {
	struct vm *vm;
	int stop;
	long ops[M_N], fails[M_N];	/* mutator operations, and those refused */
	long guest_passes, guest_efaults;
	long dev_writes[ST_DEV_N], dev_refused[ST_DEV_N];
	long dev_reads, dev_read_refused, cpu_gens;
	long fork_bad, ksm_seen, collapsed;
	unsigned int cpu_writing, cpu_done;	/* generations of the CPU writer */
	char bad[160];			/* the first mismatch */
	int hfd[ST_DEV_N + 1];
	struct uffd_stats u;
};

static int st_stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void __attribute__((format(printf, 2, 3))) st_fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->bad[0]) {
		va_start(ap, fmt);
		vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}

static __u32 *st_page(struct stress *s, int i)
{
	return page(s->vm, i);
}

/* A device command of @n pages at page @first through @buf: 0 or errno. */
static int st_dev(int fd, unsigned long req, struct stress *s, int first, int n, void *buf)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (unsigned long)st_page(s, first), .ptr = (unsigned long)buf, .npages = n,
	};

	while (ioctl(fd, req, &cmd))
		if (errno != EINTR)
			return errno;
	return cmd.cpages == (__u64)n ? 0 : EIO;
}

static void *st_dev_writer(void *arg)
{
	struct stress *s = arg;
	static int next;
	int d = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
	int first = ST_GUEST + d * (ST_DEV / ST_DEV_N), n = ST_DEV / ST_DEV_N, i, j;
	__u32 *buf = malloc(n * PAGE), gen = 0, v;

	if (!buf) {
		st_fail(s, "malloc");
		return NULL;
	}
	while (!st_stopped(s)) {
		v = 0xd0000000 | d << 24 | (++gen & 0xffffff);
		for (i = 0; i < (int)(n * PAGE / 4); i++)
			buf[i] = v;
		/* Refused while write-protected (mprotect, uffd-wp): retry. */
		while (!st_stopped(s) && st_dev(s->hfd[d], HMM_DMIRROR_WRITE, s, first, n, buf)) {
			s->dev_refused[d]++;
			usleep(200);
		}
		if (st_stopped(s))
			break;
		s->dev_writes[d]++;
		for (i = 0; i < n; i++)
			for (j = 0; j < (int)(PAGE / 4); j++)
				if (st_page(s, first + i)[j] != v) {
					st_fail(s, "device %d: page %d word %d holds %#x, not %#x",
						d, first + i, j, st_page(s, first + i)[j], v);
					goto out;
				}
	}
out:
	free(buf);
	return NULL;
}

static void *st_cpu_writer(void *arg)
{
	struct stress *s = arg;
	unsigned int g = 0;
	int i;

	while (!st_stopped(s)) {
		g++;
		__atomic_store_n(&s->cpu_writing, g, __ATOMIC_RELEASE);
		for (i = ST_CPU0; i < NPAGES; i++)
			__atomic_store_n(st_page(s, i), 0xc0000000 | g, __ATOMIC_RELEASE);
		__atomic_store_n(&s->cpu_done, g, __ATOMIC_RELEASE);
		s->cpu_gens++;
		usleep(1000);
	}
	return NULL;
}

static void *st_dev_reader(void *arg)
{
	struct stress *s = arg;
	__u32 *buf = malloc(ST_CPU * PAGE), before, after, g;
	int i;

	if (!buf) {
		st_fail(s, "malloc");
		return NULL;
	}
	while (!st_stopped(s)) {
		before = __atomic_load_n(&s->cpu_done, __ATOMIC_ACQUIRE);
		if (st_dev(s->hfd[ST_DEV_N], HMM_DMIRROR_READ, s, ST_CPU0, ST_CPU, buf)) {
			s->dev_read_refused++;
			usleep(200);
			continue;
		}
		after = __atomic_load_n(&s->cpu_writing, __ATOMIC_ACQUIRE);
		s->dev_reads++;
		for (i = 0; i < ST_CPU; i++) {
			g = buf[i * PAGE / 4] & 0xffffff;
			if (buf[i * PAGE / 4] >> 24 != 0xc0 || g < before || g > after) {
				st_fail(s, "device read of page %d: %#x, generations %u-%u then",
					ST_CPU0 + i, buf[i * PAGE / 4], before, after);
				break;
			}
		}
	}
	free(buf);
	return NULL;
}

static void st_nap(struct stress *s, int us)
{
	if (!st_stopped(s))
		usleep(us);
}

static void *st_mprotect(void *arg)
{
	struct stress *s = arg;
	unsigned char *p = s->vm->data;
	unsigned int r = 1;

	while (!st_stopped(s)) {
		/* The guest's and the devices' pages down and up */
		if (mprotect(p, ST_CPU0 * PAGE, PROT_READ))
			s->fails[M_MPROTECT]++;
		st_nap(s, 500);
		if (mprotect(p, ST_CPU0 * PAGE, PROT_READ | PROT_WRITE))
			st_fail(s, "mprotect back to read-write: %s", strerror(errno));
		s->ops[M_MPROTECT]++;
		/*
		 * One page of the CPU's huge page made executable and back:
		 * a split that leaves write access to the CPU writer
		 */
		r = r * 1103515245 + 12345;
		p = s->vm->data + (ST_CPU0 + (r >> 8) % ST_CPU) * PAGE;
		if (mprotect(p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC) ||
		    mprotect(p, PAGE, PROT_READ | PROT_WRITE))
			s->fails[M_SPLIT]++;
		s->ops[M_SPLIT]++;
		p = s->vm->data;
		st_nap(s, 2000);
	}
	return NULL;
}

static void *st_clear_refs(void *arg)
{
	struct stress *s = arg;

	while (!st_stopped(s)) {
		if (write_file("/proc/self/clear_refs", "4"))
			s->fails[M_CLEAR_REFS]++;
		s->ops[M_CLEAR_REFS]++;
		st_nap(s, 3000);
	}
	return NULL;
}

/* Write-protects the guest's and devices' pages; the handler lets each fault go. */
static void *st_uffd_wp(void *arg)
{
	struct stress *s = arg;
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)s->vm->data, .len = ST_CPU0 * PAGE },
	};

	while (!st_stopped(s)) {
		wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
			s->fails[M_UFFD_WP]++;
		st_nap(s, 1000);
		wp.mode = 0;
		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
			st_fail(s, "UFFDIO_WRITEPROTECT (off): %s", strerror(errno));
		s->ops[M_UFFD_WP]++;
		st_nap(s, 4000);
	}
	return NULL;
}

static void *st_move(void *arg)
{
	struct stress *s = arg;
	int nodes[16], status[16], i;
	unsigned int r = 7;
	void *pages[16];

	while (!st_stopped(s)) {
		for (i = 0; i < 16; i++) {
			r = r * 1103515245 + 12345;
			pages[i] = st_page(s, (r >> 8) % NPAGES);
			nodes[i] = (r >> 20) & 1;
		}
		if (syscall(__NR_move_pages, 0, 16, pages, nodes, status, 1 << 1))
			s->fails[M_MOVE]++;
		s->ops[M_MOVE]++;
		st_nap(s, 2000);
	}
	return NULL;
}

/* The CPU's 2 MiB block (the other is registered with uffd-wp). */
static void *st_collapse(void *arg)
{
	struct stress *s = arg;

	while (!st_stopped(s)) {
		if (madvise(st_page(s, ST_CPU0), HPAGE, MADV_COLLAPSE))
			s->fails[M_COLLAPSE]++;
		else
			s->collapsed++;
		s->ops[M_COLLAPSE]++;
		st_nap(s, 20000);
	}
	return NULL;
}

static void *st_ksm(void *arg)
{
	struct stress *s = arg;
	char buf[32];
	long n;

	while (!st_stopped(s)) {
		if (madvise(s->vm->data, DATA_SIZE, MADV_MERGEABLE))
			s->fails[M_KSM]++;
		st_nap(s, 100000);
		n = read_file("/proc/self/ksm_merging_pages", buf, sizeof(buf)) ? 0 : atol(buf);
		if (n > s->ksm_seen)
			s->ksm_seen = n;
		if (madvise(s->vm->data, DATA_SIZE, MADV_UNMERGEABLE))
			s->fails[M_KSM]++;
		s->ops[M_KSM]++;
	}
	return NULL;
}

/* A child keeps a copy of slot 1 from just after the fork, and compares. */
static void *st_fork(void *arg)
{
	struct stress *s = arg;
	static __u32 copy[NPAGES];
	int status, i;
	pid_t pid;

	while (!st_stopped(s)) {
		pid = fork();
		if (pid < 0) {
			s->fails[M_FORK]++;
		} else if (!pid) {
			for (i = 0; i < NPAGES; i++)
				copy[i] = *st_page(s, i);
			usleep(20000);
			for (i = 0; i < NPAGES; i++)
				if (*st_page(s, i) != copy[i])
					_exit(1);
			_exit(0);
		} else {
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
				s->fails[M_FORK]++;
			else if (WEXITSTATUS(status))
				s->fork_bad++;
		}
		s->ops[M_FORK]++;
		st_nap(s, 30000);
	}
	return NULL;
}

/* The guard page after slot 1 mapped, touched, and back to PROT_NONE. */
static void *st_remap(void *arg)
{
	struct stress *s = arg;
	unsigned char *g = s->vm->data + DATA_SIZE;

	while (!st_stopped(s)) {
		if (mmap(g, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == MAP_FAILED) {
			s->fails[M_REMAP]++;
		} else {
			g[0] = 1;
			if (munmap(g, PAGE) ||
			    mmap(g, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
				 -1, 0) == MAP_FAILED)
				st_fail(s, "restoring the guard page: %s", strerror(errno));
		}
		s->ops[M_REMAP]++;
		st_nap(s, 2000);
	}
	return NULL;
}

/* Guest passes over its pages, each resumed after EFAULT (mprotect). */
static void st_guest(struct stress *s, int seconds)
{
	struct timespec t0, t;
	struct kvm_regs regs;
	__u32 gen = 0, v;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		v = 0x47000000 | (++gen & 0xffffff);
		regs = (struct kvm_regs) {
			.rip = W_GPA, .rsi = DATA_GPA, .rbx = PAGE, .rcx = ST_GUEST, .rax = v,
			.rflags = 0x2,
		};
		while (run_guest(s->vm, "stress", &regs, 1)) {
			s->guest_efaults++;
			if (ioctl(s->vm->vcpu, KVM_GET_REGS, &regs))
				setup_fail("stress", "KVM_GET_REGS");
			usleep(200);
		}
		s->guest_passes++;
		for (i = 0; i < ST_GUEST; i++)
			if (*st_page(s, i) != v) {
				st_fail(s, "guest: page %d holds %#x, not %#x", i, *st_page(s, i), v);
				break;
			}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!st_stopped(s) && t.tv_sec - t0.tv_sec < seconds);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}

static int stress_mode(const char *want_mmu, int seconds)
{
	static void *(*const mutators[])(void *) = {
		st_mprotect, st_clear_refs, st_uffd_wp, st_move, st_collapse, st_ksm, st_fork,
		st_remap,
	};
	enum { NT = ST_DEV_N + 2 + sizeof(mutators) / sizeof(mutators[0]) };
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	static const char *const want[3] = { "1", "1000", "10" };
	struct stress s = { 0 };
	pthread_t t[NT], handler;
	char path[64];
	struct vm vm;
	long accesses;
	int i, n = 0;

	printf("1..%d\n", 6 + !!want_mmu);
	vm_create_checked(&vm, want_mmu);
	s.vm = &vm;
	if (access("/sys/devices/system/node/node1", F_OK))
		setup_fail("stress", "needs two NUMA nodes (numa=fake=2)");
	for (i = 0; i <= ST_DEV_N; i++) {
		s.hfd[i] = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
		if (s.hfd[i] < 0)
			setup_fail("stress", "open /dev/hmm_dmirror0");
	}
	if (madvise(vm.data, DATA_SIZE, MADV_HUGEPAGE))
		setup_fail("stress", "MADV_HUGEPAGE");
	for (i = 0; i < NPAGES; i++)
		*st_page(&s, i) = i < ST_CPU0 ? 0 : 0xc0000000;
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg.range = (struct uffdio_range) { .start = (unsigned long)vm.data, .len = ST_CPU0 * PAGE };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		setup_fail("stress", "userfaultfd write-protect on the guest's and devices' pages");
	for (i = 2; i >= 0; i--) {	/* run=1 last */
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		if (read_file(path, ksm_saved[i], sizeof(ksm_saved[i])) || write_file(path, want[i]))
			setup_fail("stress", "KSM knobs");
	}
	if (write_file(NUMA_BALANCING, "1"))
		setup_fail("stress", "writing 1 to " NUMA_BALANCING);

	thread_start("stress", &handler, uffd_handler, &s.u);
	for (i = 0; i < ST_DEV_N; i++)
		thread_start("stress", &t[n++], st_dev_writer, &s);
	thread_start("stress", &t[n++], st_cpu_writer, &s);
	thread_start("stress", &t[n++], st_dev_reader, &s);
	for (i = 0; i < (int)(sizeof(mutators) / sizeof(mutators[0])); i++)
		thread_start("stress", &t[n++], mutators[i], &s);
	st_guest(&s, seconds);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&s.u.stop, 1, __ATOMIC_RELEASE);
	pthread_join(handler, NULL);
	ksm_restore();
	write_file(NUMA_BALANCING, "0");

	for (i = 0; i < M_N; i++)
		printf("# stress,%s,%ld ops,%.1f/s,%ld refused\n", m_names[i], s.ops[i],
		       (double)s.ops[i] / seconds, s.fails[i]);
	accesses = s.guest_passes + s.dev_writes[0] + s.dev_writes[1] + s.dev_reads;
	printf("# stress,accesses,guest passes %ld (%ld EFAULT),device writes %ld+%ld (%ld+%ld refused),"
	       "device reads %ld (%ld refused),cpu generations %ld,%.1f accesses/s\n",
	       s.guest_passes, s.guest_efaults, s.dev_writes[0], s.dev_writes[1], s.dev_refused[0],
	       s.dev_refused[1], s.dev_reads, s.dev_read_refused, s.cpu_gens,
	       (double)accesses / seconds);
	printf("# stress,seen,ksm merging pages %ld,collapses %ld,uffd-wp faults %ld\n",
	       s.ksm_seen, s.collapsed, s.u.wp_faults);
	check(!s.bad[0], "stress", "every write found where its writer wrote it, every read current",
	      "%s", s.bad);
	check(!s.fork_bad, "stress", "forked children's pages never changed",
	      "%ld of %ld children saw a page change", s.fork_bad, s.ops[M_FORK]);
	check(s.guest_passes > 1 && s.dev_writes[0] > 1 && s.dev_writes[1] > 1 && s.dev_reads > 1,
	      "stress", "every accessor ran", "see the accesses above");
	for (i = 0; i < M_N && s.ops[i] > s.fails[i]; i++)
		;
	check(i == M_N && !s.u.err, "stress", "every mutator changed the mappings",
	      "%s: %ld ops, %ld refused; uffd handler error %s", i < M_N ? m_names[i] : "-",
	      i < M_N ? s.ops[i] : 0, i < M_N ? s.fails[i] : 0, s.u.err ? strerror(s.u.err) : "none");
	check(s.collapsed > 0 && s.u.wp_faults > 0 && s.guest_efaults + s.dev_refused[0] > 0,
	      "stress", "collapses, uffd-wp faults and refused writes happened",
	      "collapses %ld, uffd-wp faults %ld, guest EFAULTs %ld", s.collapsed, s.u.wp_faults,
	      s.guest_efaults);
	for (i = 0; i <= ST_DEV_N; i++)
		close(s.hfd[i]);
	close(uffd);
	uffd = -1;
	vm_destroy(&vm);
	return nfail ? 1 : 0;
}
