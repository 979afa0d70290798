/*
 * DRAFT for issue 19 item 4, not built by the harness; run once by hand
 * (2026-12-07, with CONFIG_CGROUPS and CONFIG_MEMCG added to the test
 * config, LIGHT=1, TDP): 5 of 5 ok, see PLAN.md.  Also needs
 * <sys/klog.h>, <sys/mount.h>, <sys/prctl.h>, <sys/stat.h>.  It is:
 * the --oom mode of tests/guest/kvm-mmu-notifier.c, to insert before
 * main() (main parses --oom and calls oom_mode(want_mmu) in the branch of
 * --inflight/--isolation/--stress).  Written 2026-12-07 against 6.12:
 *   - the reaper runs OOM_REAPER_DELAY (2 s, mm/oom_kill.c:696) after the
 *     kill, only if the victim's mm was not torn down (exit_mmap()) by
 *     then: the victim's exit must leave mm_users > 0;
 *   - a device fault of the HMM test driver holds mmget() on the mirror's
 *     mm (dmirror_fault(), lib/test_hmm.c:563) and, with HMM_HOLD_FAULTS,
 *     waits up to 10 s after hmm_range_fault() with no mmap lock and no
 *     mirror mutex (dmirror_range_fault(), lib/test_hmm.c:521-531): a
 *     grandchild that reads a held window through the victim's fd keeps
 *     the victim's mm alive for the reaper;
 *   - __oom_reap_task_mm() sends MMU_NOTIFY_OOM, GONE, non-blockable
 *     (mm/oom_kill.c:548-553) for each private vma; a listener that says
 *     it must block makes the reaper retry (10 times, then "unable to
 *     reap", mm/oom_kill.c:613-627).
 * Needs: an expected-klog entry for the suite (the OOM report: "invoked
 * oom-killer", its stack dump and memory lines, "Out of memory: Killed
 * process", "oom_reaper: reaped process"), and a boot where filling
 * memory is quick (LIGHT=1: 1 GiB).  To check before it lands: that the
 * grandchild's fault is held when the kill comes (HOLD_STATUS.holding),
 * that the trace shows the reaper's invalidations of slot 1 with
 * event=oom and without "blockable", and that it fails without the
 * held fault (no reaper line: the victim's exit_mmap() runs instead).
 */

#define OOM_CHUNK	(16UL << 20)
#define OOM_HOLD_PAGES	16

/* The kernel log so far (klogctl), into @buf; its length. */
static int oom_klog(char *buf, int size)
{
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size - 1);

	buf[n > 0 ? n : 0] = 0;
	return n;
}

static long mem_available_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char name[64];
	long v, kb = -1;

	while (f && fscanf(f, "%63s %ld kB", name, &v) == 2)
		if (!strcmp(name, "MemAvailable:"))
			kb = v;
	if (f)
		fclose(f);
	return kb;
}

/*
 * The victim: a VM whose guest has written slot 1, a device mirror that
 * has read it, a grandchild holding a device fault of another window (so
 * that the mm outlives the victim's exit), then memory until the kill.
 * Tells the parent through @pipe_w when the fault is held.
 */
static void __attribute__((noreturn)) oom_victim(const char *want_mmu, int pipe_w)
{
	struct hmm_hold hold = { .npages = OOM_HOLD_PAGES, .flags = HMM_HOLD_FAULTS };
	struct hmm_dmirror_cmd cmd = { 0 };
	unsigned char *h, *p;
	char c = 1;
	struct vm vm;
	pid_t gc;
	int i;

	write_file("/proc/self/oom_score_adj", "1000");
	if (write_file("/tmp/cg/oom/cgroup.procs", "0"))
		_exit(9);
	vm_create(&vm, PTE_RW);
	(void)want_mmu;
	pass(&vm, NULL, W_GPA, 1, next_val(), 0);	/* SPTEs over slot 1 */
	hmm_fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (hmm_fd < 0)
		_exit(10);
	cmd.addr = (unsigned long)vm.data;
	cmd.ptr = (unsigned long)malloc(DATA_SIZE);
	cmd.npages = NPAGES;
	if (!cmd.ptr || ioctl(hmm_fd, HMM_DMIRROR_READ, &cmd))	/* mirror entries */
		_exit(11);
	h = mmap(NULL, OOM_HOLD_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	hold.addr = (unsigned long)h;
	if (h == MAP_FAILED || ioctl(hmm_fd, HMM_HOLD_ARM, &hold))
		_exit(12);
	gc = fork();
	if (!gc) {	/* reads H through the victim's mirror: the fault is held */
		write_file("/proc/self/oom_score_adj", "-1000");
		cmd.addr = (unsigned long)h;
		cmd.npages = OOM_HOLD_PAGES;
		ioctl(hmm_fd, HMM_DMIRROR_READ, &cmd);	/* returns after 10 s */
		_exit(0);
	}
	for (i = 0; i < 200; i++) {
		if (!ioctl(hmm_fd, HMM_HOLD_STATUS, &hold) && hold.holding)
			break;
		usleep(10000);
	}
	if (!hold.holding)
		_exit(13);
	if (write(pipe_w, &c, 1) != 1)
		_exit(14);
	for (;;) {	/* until the OOM killer's SIGKILL */
		p = mmap(NULL, OOM_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(15);
		memset(p, 0x5a, OOM_CHUNK);
	}
}

/* Checks: setup 1, the kill 1, the reaper 1, its invalidations 1, the memory 1. */
static int oom_mode(const char *want_mmu)
{
	static char klog[1 << 20];
	long before = mem_available_kb(), after = -1;
	int fds[2], status, i, n;
	char c, want[64], *reaped;
	struct timespec t0, t;
	pid_t victim;

	printf("1..5\n");
	memset(klog, 0, sizeof(klog));
	mkdir("/tmp/cg", 0755);
	if (mount("none", "/tmp/cg", "cgroup2", 0, NULL) ||
	    write_file("/tmp/cg/cgroup.subtree_control", "+memory") ||
	    (mkdir("/tmp/cg/oom", 0755) && errno != EEXIST) ||
	    write_file("/tmp/cg/oom/memory.max", "64M"))
		setup_fail("oom", "a memory cgroup of 64 MiB");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	write_file("/proc/self/oom_score_adj", "-1000");
	write_file(EV_MN "/filter", "event == 11");	/* MMU_NOTIFY_OOM; TODO: read it from the format file */
	write_file(EV_MN "/enable", "1");
	write_file(EV_HVA "/enable", "1");
	trace_clear();
	if (pipe(fds))
		setup_fail("oom", "pipe");
	victim = fork();
	if (!victim)
		oom_victim(want_mmu, fds[1]);
	close(fds[1]);
	check(read(fds[0], &c, 1) == 1, "oom", "the victim's VM, mirror and held device fault are set up",
	      NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = waitpid(victim, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	check(n == victim && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "oom",
	      "the OOM killer killed the victim", "status %#x after %ld s", status,
	      (long)(t.tv_sec - t0.tv_sec));
	/* The reaper: 2 s after the kill; the grandchild's hold ends at 10 s. */
	sleep(3);
	snprintf(want, sizeof(want), "oom_reaper: reaped process %d ", victim);
	for (i = 0, reaped = NULL; i < 150 && !reaped; i++) {
		oom_klog(klog, sizeof(klog));
		reaped = strstr(klog, want);
		if (!reaped)
			usleep(100000);
	}
	check(!!reaped, "oom", "the OOM reaper reaped the victim's mm", "no \"%s\" in 15 s", want);
	/* The reaper's invalidations: event=oom, none blockable; and KVM's callbacks */
	{
		FILE *f = fopen(TRACING "/trace", "re");
		char line[1024];
		long oom = 0, blockable = 0, kvm = 0;

		while (f && fgets(line, sizeof(line), f)) {
			if (strstr(line, "mmu_notifier_invalidate_range_start:") &&
			    strstr(line, "event=oom")) {
				oom++;
				blockable += !!strstr(line, "blockable");
				if (oom == 1)
					printf("# %s", line);
			}
			kvm += !!strstr(line, "kvm_unmap_hva_range:");
		}
		if (f)
			fclose(f);
		printf("# oom,invalidations %ld,blockable %ld,kvm callbacks %ld\n", oom, blockable, kvm);
		check(oom > 0 && !blockable && kvm > 0, "oom",
		      "the reaper's invalidations (event=oom) are non-blockable and reach KVM",
		      "%ld, %ld blockable, %ld KVM callbacks", oom, blockable, kvm);
	}
	while (waitpid(-1, NULL, 0) > 0)	/* the grandchild, reparented here */
		;
	for (i = 0; i < 50; i++) {
		after = mem_available_kb();
		if (after >= before - 65536)
			break;
		usleep(100000);
	}
	check(after >= before - 65536, "oom", "the memory came back",
	      "MemAvailable %ld kB before, %ld kB after", before, after);
	return nfail ? 1 : 0;
}

