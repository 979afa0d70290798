// SPDX-License-Identifier: GPL-2.0
/*
 * What KVM does about each kind of MMU-notifier invalidation
 * (notes/kvm-plan.md, section 4).
 *
 * A 32-bit guest with paging (so that with npt=0/ept=0 the real shadow MMU
 * runs) writes and reads 1024 private anonymous pages while the host takes
 * write access away: mprotect, soft-dirty, uffd-wp, KSM; MADV_DONTNEED is the
 * control.  The TAP results check what holds on any kernel.  What KVM did is
 * one TAP comment per operation, asserted only with --expect-keep:
 *   # kvm,<mmu>,<op>,<callbacks>,<zapped>,<wrprotected>,<read_faults>,
 *     <write_faults>,<tlb_flush_requests>,<pf_fast>,<other_faults>	(one line)
 * Read and write faults are those on slot 1 (1024 pages); other_faults
 * are the guest's other faults in the same passes.  A second comment per
 * operation says what KVM was told and did, for scripts/summary.py:
 *   # kvm-context,<mmu>,<op>,<event/effect=n ...>,<action=n ...>
 * the cause and effect of each invalidation of slot 1 that reached a
 * listener (mmu_notifier:mmu_notifier_invalidate_range_start), and the
 * action kvm:kvm_unmap_hva_range recorded for KVM's callbacks; "n/a" where
 * the kernel has no such tracepoint or field (v6.12).  With --expect-keep,
 * the action that kvm:kvm_unmap_hva_range records for each callback (keep,
 * wrprotect, drop, free) must be the operation's.
 * --mmu=tdp|shadow fails if KVM runs the other MMU.
 *
 * --inflight runs other cases instead: how often a guest fault on 16 pages
 * A retries while other ranges of slot 1 are being invalidated.  The HMM
 * test driver's listener (HMM_HOLD_*, lib/test_hmm.c), registered before
 * the VM so that KVM is told first, holds MADV_DONTNEED of a range for
 * 300 ms; or A is registered with userfaultfd and the handler invalidates a
 * range before it fills each page, so that an invalidation ends while each
 * fault looks its page up.  One TAP comment per case:
 *   # inflight,kvm,<mmu>,<case>,<faults>,<retries>,<done before release>
 * faults: faults fixed; retries: faults that KVM retried (pf_taken minus
 * pf_fixed, pf_emulate and pf_spurious); done before release: 1 if the
 * guest's pass ended while the hold was still on ("-" without one).
 * After each case the guest writes every page of A, and the host checks
 * that each of its pages of A holds the value.
 * The cases: two-holds (B1 < A < B2 held), one-hold (B1 held), uffd-other
 * (the handler invalidates C), hold-a (A held), uffd-a (the handler
 * invalidates the page).  The TAP results check what holds on any
 * kernel: no retry for one-hold, a wait for hold-a, a retry per page for
 * uffd-a; with --expect-tracked also none for two-holds and uffd-other.
 *
 * --isolation runs other cases: after fork (copy-on-write), migration to
 * the other NUMA node and THP collapse, the guest writes every page of
 * slot 1, and each write must land in the page the host's address maps
 * now (its value is there), never in the page the child shares or the
 * page moved or collapsed away; the child's pages keep their values.
 * /proc/self/pagemap shows that each operation gave new pages.
 *
 * --stress=SECONDS races the guest and three device mirrors (the HMM test
 * driver) against threads that change slot 1's mappings in every way the
 * series names; the guest's and the devices' accesses check their data
 * (see the comment before struct stress).
 *
 * --oom: the memory cgroup's OOM killer kills a process with a nested
 * guest and a device mirror, and the OOM reaper unmaps its memory while a
 * held device fault keeps its mm; the reaper's invalidations must reach
 * KVM as not blockable, and the memory must come back (see oom_mode()).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <lib/test_hmm_uapi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define LOW_SIZE	0x100000UL	/* slot 0: page tables and code */
#define PD_GPA		0x10000UL
#define PT_GPA		0x11000UL	/* two page tables: 0-4 MiB and 4-8 MiB */
#define DATA_PT_GPA	(PT_GPA + PAGE)	/* the second one maps slot 1 */
#define CODE_GPA	0x20000UL
#define W_GPA		(CODE_GPA + 0x00)
#define R_GPA		(CODE_GPA + 0x10)
#define S_GPA		(CODE_GPA + 0x20)
#define DATA_GPA	0x400000UL	/* slot 1 */
#define NPAGES		1024
#define DATA_SIZE	(NPAGES * PAGE)
#define HPAGE		0x200000UL
#define PDE_FLAGS	0x27		/* P|RW|US|A */
/* P|RW|US|A|D: with D clear, shadow paging would map read-only to track D. */
#define PTE_RW		0x67
#define PTE_RO		0x65
#define PORT		0x10
#define RUN_TIMEOUT	30
#define KSM_TIMEOUT	60
#define TRACING		"/sys/kernel/tracing"
#define EV_HVA		TRACING "/events/kvm/kvm_unmap_hva_range"
#define EV_SPTE		TRACING "/events/kvmmmu/kvm_tdp_mmu_spte_changed"
#define EV_PF		TRACING "/events/kvm/kvm_page_fault"
#define EV_MN		TRACING "/events/mmu_notifier/mmu_notifier_invalidate_range_start"
#define KSM		"/sys/kernel/mm/ksm/"

/*
 * The guest's routines, entered with esi = first page, ebx = stride,
 * ecx = page count, eax = value; each reports al on PORT.
 * W: mov [esi],eax; add esi,ebx; loop W; out PORT,al; hlt
 * R: mov edx,[esi]; add esi,ebx; loop R; out PORT,al; hlt
 * S, edi = the first gPTE: or dword [edi],2 (the gPTE becomes writable);
 *    invlpg [esi]; mov [esi],eax; add esi,ebx; add edi,4; loop S; out; hlt
 */
static const unsigned char guest_w[] = { 0x89, 0x06, 0x01, 0xde, 0xe2, 0xfa, 0xe6, PORT, 0xf4 };
static const unsigned char guest_r[] = { 0x8b, 0x16, 0x01, 0xde, 0xe2, 0xfa, 0xe6, PORT, 0xf4 };
static const unsigned char guest_s[] = {
	0x83, 0x0f, 0x02, 0x0f, 0x01, 0x3e, 0x89, 0x06, 0x01, 0xde,
	0x83, 0xc7, 0x04, 0xe2, 0xf1, 0xe6, PORT, 0xf4,
};

struct vm {
	int fd, vcpu, vm_stats, vcpu_stats;
	struct kvm_run *run;
	long run_size;
	unsigned char *low;		/* slot 0 */
	unsigned char *data;		/* slot 1, between two PROT_NONE guards */
	unsigned char *resv;		/* the reservation that holds them */
	off_t pages_4k, tlb_requests, pf_taken, pf_fast;	/* stats offsets */
	off_t pf_fixed, pf_emulate, pf_spurious;
};

struct counters {
	__u64 pages_4k, tlb_requests, pf_taken, pf_fast;
};

/* What kvm:kvm_unmap_hva_range says KVM does about a callback. */
enum { ACT_KEEP, ACT_WRPROTECT, ACT_DROP, ACT_N };
#define A(act)		(1 << ACT_##act)
static const char *const act_names[ACT_N] = { "keep", "wrprotect", "drop" };
/* The actions as traced, free apart from drop: for the kvm-context line. */
static const char *const traced_names[4] = { "keep", "wrprotect", "drop", "free" };

/* The distinct causes and effects of an operation's invalidations. */
#define NCTX		8
struct ctx {
	char what[56];			/* "<event>/<effect>" */
	long n;
};

/* One host operation and what KVM did about it; -1 is "n/a". */
struct op {
	const char *name;
	struct counters c0, c1;		/* before and after the host operation */
	long callbacks, zapped, wrprot, tlb_requests;
	long actions[ACT_N];		/* callbacks by the action KVM traced */
	long traced[4], untraced;	/* the same, by traced_names; without one */
	struct ctx ctx[NCTX];		/* invalidations by cause and effect */
	long ctx_other;			/* those beyond NCTX distinct pairs */
	long read_faults, write_faults, pf_fast, other_faults;
	int refused;
};

static int kvm_fd = -1, ntest, nfail, expect_keep, tracing, tdp_mmu, uffd = -1;
static pid_t main_pid;		/* the test's process: its children leave the machine alone */
static int tracing_ctx;	/* the mmu_notifier tracepoint (not on v6.12) */
static const char *mmu = "unknown";
static const char *const ksm_knobs[3] = { "run", "pages_to_scan", "sleep_millisecs" };
static char ksm_saved[3][32];
#define NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"
static char numa_saved[32];
static char numa_scan_saved[2][32];	/* --stress: scan_delay_ms, scan_period_min_ms */
static void stress_stop(void);
static long ksm_merged;

static void __attribute__((format(printf, 4, 5)))
check(int ok, const char *op, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (!ok && fmt) {
		printf("# ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	printf("%sok %d kvm/%s%s%s: %s\n", ok ? "" : "not ", ++ntest, mmu,
	       op ? "/" : "", op ? op : "", what);
	nfail += !ok;
}

/* Anything that keeps the test from running is a failure, with the errno. */
static void __attribute__((noreturn)) setup_fail(const char *op, const char *what)
{
	const char *err = strerror(errno);

	printf("not ok %d kvm/%s%s%s: %s: %s\n", ++ntest, mmu,
	       op ? "/" : "", op ? op : "", what, err);
	exit(1);
}

/* 0 or -1 with errno; fclose() reports the write's error (a bad filter, say). */
static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fputs(s, f);
	return fclose(f) ? -1 : 0;
}

static int read_file(const char *path, char *buf, int size)
{
	FILE *f = fopen(path, "re");
	int ok = f && fgets(buf, size, f);

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -1;
}

/*
 * KVM_AMD and KVM_INTEL are both built in, so both parameter files exist
 * and the unused one keeps its default: the CPU vendor says which counts.
 */
static const char *running_mmu(void)
{
	unsigned int a, b, c, d;
	char vendor[13] = "", val[8];
	const char *path;

	__cpuid(0, a, b, c, d);
	(void)a;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine"))
		path = "/sys/module/kvm_amd/parameters/npt";
	else
		path = "/sys/module/kvm_intel/parameters/ept";
	if (read_file(path, val, sizeof(val)))
		return "unknown";
	printf("# %s: %s = %s\n", vendor, path, val);
	if (val[0] != 'Y' && val[0] != '1')
		return "shadow";
	/* The SPTE tracepoint is the TDP MMU's; kvm.tdp_mmu=0 uses rmaps. */
	tdp_mmu = !read_file("/sys/module/kvm/parameters/tdp_mmu", val, sizeof(val)) &&
		  val[0] == 'Y';
	return "tdp";
}

/*
 * Optional tracefs counting: the callbacks that reach KVM (filtered on
 * slot 1's hva) and, with the TDP MMU, what became of slot 1's SPTEs.
 */
static void trace_setup(const struct vm *vm)
{
	unsigned long start = (unsigned long)vm->data;
	char hva[80], gfn[48], pf[80];

	snprintf(hva, sizeof(hva), "start < %#lx && end > %#lx", start + DATA_SIZE, start);
	snprintf(gfn, sizeof(gfn), "gfn >= %#lx && gfn < %#lx",
		 DATA_GPA / PAGE, DATA_GPA / PAGE + NPAGES);
	snprintf(pf, sizeof(pf), "fault_address >= %#lx && fault_address < %#lx",
		 DATA_GPA, DATA_GPA + DATA_SIZE);
	tracing = !write_file(EV_HVA "/filter", hva) && !write_file(EV_HVA "/enable", "1") &&
		  !write_file(EV_SPTE "/filter", gfn) && !write_file(EV_SPTE "/enable", "1") &&
		  !write_file(EV_PF "/filter", pf) && !write_file(EV_PF "/enable", "1");
	if (!tracing)
		printf("# no tracefs events: callbacks and write-protect counts are n/a, faults are the VM's\n");
	/* Only what the summary shows: its absence fails nothing. */
	tracing_ctx = tracing && !write_file(EV_MN "/filter", hva) &&
		      !write_file(EV_MN "/enable", "1");
}

/* Count one invalidation's "event=<cause> effect=<effect>" in @op. */
static void ctx_count(struct op *op, const char *p)
{
	char ev[24], eff[24], what[56];
	int i;

	if (sscanf(p, "event=%23s effect=%23s", ev, eff) != 2)
		snprintf(what, sizeof(what), "?");
	else
		snprintf(what, sizeof(what), "%s/%s", ev, eff);
	for (i = 0; i < NCTX && op->ctx[i].n; i++)
		if (!strcmp(op->ctx[i].what, what))
			break;
	if (i == NCTX) {
		op->ctx_other++;
		return;
	}
	if (!op->ctx[i].n)
		snprintf(op->ctx[i].what, sizeof(op->ctx[i].what), "%s", what);
	op->ctx[i].n++;
}

static void trace_clear(void)
{
	int fd = tracing ? open(TRACING "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC) : -1;

	if (fd >= 0)
		close(fd);
}

/*
 * The guest's page faults on slot 1 since trace_clear(): the fault address
 * is a gpa with TDP and a gva with shadow paging, the same in this
 * identity-mapped guest.  Faults elsewhere are the walker's on the guest's
 * page tables, which soft-dirty write-protects too (AMD's nested walk
 * accesses them as writes).
 */
static long trace_faults(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(TRACING "/trace", "re");

	if (!f)
		setup_fail(NULL, "reading " TRACING "/trace");
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "kvm_page_fault:");
	fclose(f);
	return n;
}

/*
 * Present is bit 0 on NPT, RWX on EPT; W is bit 1 on both; leaf is level 1
 * or PS.  A zap is a present leaf becoming non-present, a write-protect a
 * present leaf changing to another present SPTE without W.
 */
#define SPTE_CHANGED	\
	"kvm_tdp_mmu_spte_changed: as id %d gfn %llx level %d old_spte %llx new_spte %llx"
static void trace_count(struct op *op)
{
	unsigned long long gfn, old, new;
	char line[512], *p;
	int as_id, level, i;
	FILE *f;

	op->callbacks = op->wrprot = -1;
	f = tracing ? fopen(TRACING "/trace", "re") : NULL;
	if (!f)
		return;
	op->callbacks = 0;
	if (tdp_mmu)
		op->zapped = op->wrprot = 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "mmu_notifier_invalidate_range_start:");
		if (p) {
			p = strstr(p, " event=");
			ctx_count(op, p ? p + 1 : "");
			continue;
		}
		if (strstr(line, "kvm_unmap_hva_range:")) {
			op->callbacks++;
			p = strstr(line, " action ");
			if (!p) {
				op->untraced++;
				continue;
			}
			p += strlen(" action ");
			if (!strncmp(p, "keep", 4))
				op->actions[ACT_KEEP]++;
			else if (!strncmp(p, "wrprotect", 9))
				op->actions[ACT_WRPROTECT]++;
			else if (!strncmp(p, "drop", 4) || !strncmp(p, "free", 4))
				op->actions[ACT_DROP]++;
			for (i = 0; i < 4; i++)
				if (!strncmp(p, traced_names[i], strlen(traced_names[i])))
					op->traced[i]++;
			continue;
		}
		p = strstr(line, "kvm_tdp_mmu_spte_changed:");
		if (!tdp_mmu || !p ||
		    sscanf(p, SPTE_CHANGED, &as_id, &gfn, &level, &old, &new) != 5)
			continue;
		if (!(old & 7) || (level > 1 && !(old & 0x80)))
			continue;
		if (!(new & 7))
			op->zapped++;
		else if (new != old && !(new & 2))
			op->wrprot++;
	}
	fclose(f);
}

static void ksm_restore(void)
{
	char path[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		if (ksm_saved[i][0])
			write_file(path, ksm_saved[i]);
		ksm_saved[i][0] = 0;
	}
}

/* Leave the machine as found: tracefs events off, KSM knobs back. */
static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	stress_stop();
	ksm_restore();
	if (numa_saved[0])
		write_file(NUMA_BALANCING, numa_saved);
	write_file(EV_HVA "/enable", "0");
	write_file(EV_HVA "/filter", "0");
	write_file(EV_SPTE "/enable", "0");
	write_file(EV_SPTE "/filter", "0");
	write_file(EV_PF "/enable", "0");
	write_file(EV_PF "/filter", "0");
	write_file(EV_MN "/enable", "0");
	write_file(EV_MN "/filter", "0");
	if (numa_scan_saved[0][0])
		write_file("/sys/kernel/debug/sched/numa_balancing/scan_delay_ms",
			   numa_scan_saved[0]);
	if (numa_scan_saved[1][0])
		write_file("/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms",
			   numa_scan_saved[1]);
}

/* Start ksmd fast, wait until every page of slot 1 is merged, stop it. */
static int ksm_merge(unsigned char *data)
{
	static const char *const want[3] = { "1", "4096", "0" };
	struct timespec t0, t;
	char path[64], buf[32];
	int i;

	for (i = 2; i >= 0; i--) {	/* run=1 last */
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		if (read_file(path, ksm_saved[i], sizeof(ksm_saved[i])) ||
		    write_file(path, want[i]))
			return -1;
	}
	if (madvise(data, DATA_SIZE, MADV_MERGEABLE))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ksm_merged = read_file("/proc/self/ksm_merging_pages", buf, sizeof(buf)) ?
			     -1 : atol(buf);
		if (ksm_merged >= NPAGES || ksm_merged < 0)
			break;
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < KSM_TIMEOUT);
	ksm_restore();			/* no more merging while the guest runs */
	return 0;
}

static off_t stat_offset(int fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	off_t off = -1;
	size_t size, total;
	char *buf;
	__u32 i;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		setup_fail(NULL, "reading the stats header");
	size = sizeof(*d) + h.name_size;
	total = size * h.num_desc;
	buf = malloc(total);
	if (!buf || pread(fd, buf, total, h.desc_offset) != (ssize_t)total)
		setup_fail(NULL, "reading the stats descriptors");
	for (i = 0; i < h.num_desc && off < 0; i++) {
		d = (struct kvm_stats_desc *)(buf + i * size);
		if (!strcmp(d->name, name))
			off = h.data_offset + d->offset;
	}
	free(buf);
	errno = ENOENT;
	if (off < 0)
		setup_fail(NULL, name);
	return off;
}

static __u64 stat_read(int fd, off_t off)
{
	__u64 v;

	if (pread(fd, &v, sizeof(v), off) != sizeof(v))
		setup_fail(NULL, "reading a KVM stat");
	return v;
}

static void counters(const struct vm *vm, struct counters *c)
{
	c->pages_4k = stat_read(vm->vm_stats, vm->pages_4k);
	c->tlb_requests = stat_read(vm->vm_stats, vm->tlb_requests);
	c->pf_taken = stat_read(vm->vcpu_stats, vm->pf_taken);
	c->pf_fast = stat_read(vm->vcpu_stats, vm->pf_fast);
}

/* A PD and two PTs identity-map 8 MiB; slot 1's gPTEs get data_pte. */
static void build_guest(unsigned char *low, unsigned int data_pte)
{
	__u32 *pd = (__u32 *)(low + PD_GPA), *pt = (__u32 *)(low + PT_GPA);
	unsigned long i;

	pd[0] = PT_GPA | PDE_FLAGS;
	pd[1] = DATA_PT_GPA | PDE_FLAGS;
	for (i = 0; i < 2048; i++)
		pt[i] = i * PAGE | (i * PAGE >= DATA_GPA ? data_pte : PTE_RW);
	memcpy(low + W_GPA, guest_w, sizeof(guest_w));
	memcpy(low + R_GPA, guest_r, sizeof(guest_r));
	memcpy(low + S_GPA, guest_s, sizeof(guest_s));
}

/*
 * Private anonymous, no THP, written by the host so that no zero page is
 * mapped; aligned to 2 MiB like its guest physical address, so that a huge
 * page the host makes of it (--isolation) can be a huge SPTE.
 */
static unsigned char *map_data(struct vm *vm)
{
	unsigned char *data;

	/*
	 * Guards keep later mappings from merging into slot 1's VMA: an
	 * expanded VMA gets VM_SOFTDIRTY and all its pages read soft-dirty.
	 */
	vm->resv = mmap(NULL, DATA_SIZE + 2 * HPAGE, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->resv == MAP_FAILED)
		setup_fail(NULL, "mmap (slot 1 guards)");
	data = (unsigned char *)(((unsigned long)vm->resv + PAGE + HPAGE - 1) & ~(HPAGE - 1));
	data = mmap(data, DATA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (data == MAP_FAILED)
		setup_fail(NULL, "mmap (slot 1)");
	if (madvise(data, DATA_SIZE, MADV_NOHUGEPAGE))
		setup_fail(NULL, "MADV_NOHUGEPAGE");
	memset(data, 0x11, DATA_SIZE);
	return data;
}

static void set_slot(struct vm *vm, __u32 slot, __u64 gpa, __u64 size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (unsigned long)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		setup_fail(NULL, "KVM_SET_USER_MEMORY_REGION");
}

/* Flat protected mode with paging; IDT limit 0, so any exception shuts down. */
static void set_sregs(struct vm *vm)
{
	struct kvm_sregs s;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &s) < 0)
		setup_fail(NULL, "KVM_GET_SREGS");
	s.cs = (struct kvm_segment) {
		.limit = 0xffffffff, .selector = 0x8, .type = 0xb,
		.present = 1, .db = 1, .s = 1, .g = 1,
	};
	s.ds = s.cs;
	s.ds.selector = 0x10;
	s.ds.type = 0x3;
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.idt.base = s.gdt.base = 0;
	s.idt.limit = s.gdt.limit = 0;
	s.cr0 = 0x80000011;		/* PG|ET|PE */
	s.cr3 = PD_GPA;
	s.cr4 = s.efer = 0;
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &s) < 0)
		setup_fail(NULL, "KVM_SET_SREGS");
}

static void vm_create(struct vm *vm, unsigned int data_pte)
{
	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		setup_fail(NULL, "KVM_CREATE_VM");
	vm->low = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm->low == MAP_FAILED)
		setup_fail(NULL, "mmap (slot 0)");
	build_guest(vm->low, data_pte);
	vm->data = map_data(vm);
	set_slot(vm, 0, 0, LOW_SIZE, vm->low);
	set_slot(vm, 1, DATA_GPA, DATA_SIZE, vm->data);

	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		setup_fail(NULL, "KVM_CREATE_VCPU");
	vm->run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < 0)
		setup_fail(NULL, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		setup_fail(NULL, "mmap (kvm_run)");
	set_sregs(vm);

	vm->vm_stats = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	vm->vcpu_stats = ioctl(vm->vcpu, KVM_GET_STATS_FD, 0);
	if (vm->vm_stats < 0 || vm->vcpu_stats < 0)
		setup_fail(NULL, "KVM_GET_STATS_FD");
	vm->pages_4k = stat_offset(vm->vm_stats, "pages_4k");
	/* Not remote_tlb_flush: it counts only kicks of vCPUs in guest mode. */
	vm->tlb_requests = stat_offset(vm->vm_stats, "remote_tlb_flush_requests");
	vm->pf_taken = stat_offset(vm->vcpu_stats, "pf_taken");
	vm->pf_fast = stat_offset(vm->vcpu_stats, "pf_fast");
	vm->pf_fixed = stat_offset(vm->vcpu_stats, "pf_fixed");
	vm->pf_emulate = stat_offset(vm->vcpu_stats, "pf_emulate");
	vm->pf_spurious = stat_offset(vm->vcpu_stats, "pf_spurious");
}

/* The first checks of each mode: the VM runs, with the MMU --mmu names. */
static void vm_create_checked(struct vm *vm, const char *want_mmu)
{
	vm_create(vm, PTE_RW);
	check(1, NULL, "VM with a paged 32-bit guest and two memslots", NULL);
	if (want_mmu)
		check(!strcmp(mmu, want_mmu), NULL, want_mmu[0] == 't' ?
		      "the MMU is TDP (--mmu=tdp)" : "the MMU is shadow paging (--mmu=shadow)",
		      "the running MMU is %s", mmu);
}

static void vm_destroy(struct vm *vm)
{
	close(vm->vm_stats);
	close(vm->vcpu_stats);
	munmap(vm->run, vm->run_size);
	close(vm->vcpu);
	close(vm->fd);
	munmap(vm->low, LOW_SIZE);
	munmap(vm->resv, DATA_SIZE + 2 * HPAGE);
}

/* Only interrupts KVM_RUN: a guest that does not report is a failure. */
static void watchdog(int sig)
{
	(void)sig;
}

static void dump_vcpu(const struct vm *vm)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (!ioctl(vm->vcpu, KVM_GET_REGS, &r))
		printf("# rip %#llx rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx rdi %#llx rflags %#llx\n",
		       r.rip, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rflags);
	if (!ioctl(vm->vcpu, KVM_GET_SREGS, &s))
		printf("# cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
		       s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

/*
 * Run the guest from @regs until it reports al on PORT.  Returns 0, or
 * -EFAULT if KVM_RUN failed with EFAULT and @may_fault.  Anything else
 * ends the program, with the guest's registers.
 */
static int run_guest(struct vm *vm, const char *op, const struct kvm_regs *regs, int may_fault)
{
	struct kvm_run *run = vm->run;
	unsigned char al;
	char why[96];
	int r, err;

	if (ioctl(vm->vcpu, KVM_SET_REGS, regs) < 0)
		setup_fail(op, "KVM_SET_REGS");
	alarm(RUN_TIMEOUT);
	r = ioctl(vm->vcpu, KVM_RUN, 0);
	err = errno;
	alarm(0);
	if (r < 0 && err == EFAULT && may_fault)
		return -EFAULT;
	if (r < 0 && err == EINTR) {	/* the watchdog */
		snprintf(why, sizeof(why), "no report within %d s", RUN_TIMEOUT);
	} else if (r < 0) {
		snprintf(why, sizeof(why), "KVM_RUN: %s", strerror(err));
	} else if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT) {
		al = *((unsigned char *)run + run->io.data_offset);
		if (al == (regs->rax & 0xff))
			return 0;
		snprintf(why, sizeof(why), "guest reported %#x", al);
	} else if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
		snprintf(why, sizeof(why), "KVM_EXIT_SHUTDOWN (guest exception)");
	} else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		snprintf(why, sizeof(why), "KVM_EXIT_FAIL_ENTRY, reason %#llx",
			 run->fail_entry.hardware_entry_failure_reason);
	} else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		snprintf(why, sizeof(why), "KVM_EXIT_INTERNAL_ERROR, suberror %u",
			 run->internal.suberror);
	} else {
		snprintf(why, sizeof(why), "exit reason %u", run->exit_reason);
	}
	printf("# rip %#llx: %s\n", regs->rip, why);
	dump_vcpu(vm);
	check(0, op, "the guest ran its routine", NULL);
	exit(1);
}

/*
 * One pass of the guest from @regs.  Its page faults are the op's read or
 * write faults; pf_fast counts from the end of the host operation.
 */
static int run_pass(struct vm *vm, struct op *op, const struct kvm_regs *regs, int may_fault)
{
	struct counters a, b;
	long faults, all;
	int r;

	trace_clear();
	counters(vm, &a);
	r = run_guest(vm, op ? op->name : "setup", regs, may_fault);
	counters(vm, &b);
	if (!op)
		return r;
	all = b.pf_taken - a.pf_taken;
	faults = tracing ? trace_faults() : all;
	op->other_faults += all - faults;
	if (regs->rip == R_GPA) {
		op->read_faults = faults;
		return r;
	}
	op->refused = r == -EFAULT;
	op->write_faults = faults;
	op->pf_fast = b.pf_fast - op->c1.pf_fast;
	return r;
}

/* Routine @rip over every @step-th page of slot 1, with eax = @val. */
static int pass(struct vm *vm, struct op *op, __u64 rip, int step, __u32 val, int may_fault)
{
	struct kvm_regs regs = {
		.rip = rip, .rsi = DATA_GPA, .rdi = DATA_PT_GPA, .rbx = step * PAGE,
		.rcx = NPAGES / step, .rax = val, .rflags = 0x2,
	};

	return run_pass(vm, op, &regs, may_fault);
}

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static __u32 next_val(void)
{
	static __u32 seq;

	return 0x5eed0000 | (++seq & 0xff);
}

static __u32 *page(const struct vm *vm, int i)
{
	return (__u32 *)(vm->data + i * PAGE);
}

static void check_landed(const struct vm *vm, const char *op, const char *what, __u32 val)
{
	int i, n = 0;

	for (i = 0; i < NPAGES; i++)
		n += *page(vm, i) == val;
	check(n == NPAGES, op, what, "%d of %d pages hold %#x", n, NPAGES, val);
}

/* Soft-dirty is bit 55 of /proc/self/pagemap. */
static void check_soft_dirty(const struct vm *vm, const char *op, int want)
{
	static __u64 pm[NPAGES];
	int fd, i, n = 0;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, pm, sizeof(pm), (unsigned long)vm->data / PAGE * 8) != sizeof(pm))
		setup_fail(op, "reading /proc/self/pagemap");
	close(fd);
	for (i = 0; i < NPAGES; i++)
		n += (pm[i] >> 55) & 1;
	check(n == (want ? NPAGES : 0), op, want ?
	      "bit 55 set on every page after the guest writes" :
	      "bit 55 clear on every page before the guest writes",
	      "%d of %d pages soft-dirty", n, NPAGES);
}

/* Before the host operation: clear the trace, read KVM's counters. */
static void host_begin(const struct vm *vm, struct op *op)
{
	trace_clear();
	counters(vm, &op->c0);
}

/*
 * After it (@ret is its result): what KVM did, then a read pass for the
 * read faults.  Without a per-SPTE tracepoint (the shadow MMU has none),
 * zapped is the drop in 4K mappings over the whole VM.
 */
static void host_end(struct vm *vm, struct op *op, int ret, const char *what)
{
	if (ret)
		setup_fail(op->name, what);
	counters(vm, &op->c1);
	op->zapped = (long)(op->c0.pages_4k - op->c1.pages_4k);
	if (op->zapped < 0)
		op->zapped = 0;
	op->tlb_requests = op->c1.tlb_requests - op->c0.tlb_requests;
	trace_count(op);
	pass(vm, op, R_GPA, 1, 0, 0);
}

/*
 * What KVM was told and did (the kvm-context comment): the invalidations
 * by cause and effect, and KVM's callbacks by the action it traced.
 */
static void report_context(const struct op *op)
{
	char told[NCTX * 80 + 32] = "n/a", did[160] = "n/a";
	size_t n;
	int i;

	/* Room for NCTX pairs of at most 56 + 21 characters, and "other". */
	if (tracing_ctx) {
		n = 0;
		told[0] = 0;
		for (i = 0; i < NCTX && op->ctx[i].n && n < sizeof(told); i++)
			n += snprintf(told + n, sizeof(told) - n, "%s%s=%ld",
				      i ? " " : "", op->ctx[i].what, op->ctx[i].n);
		if (op->ctx_other && n < sizeof(told))
			snprintf(told + n, sizeof(told) - n, "%sother=%ld",
				 i ? " " : "", op->ctx_other);
		if (!told[0])
			snprintf(told, sizeof(told), "none");
	}
	if (op->callbacks >= 0 && !op->untraced) {
		n = 0;
		did[0] = 0;
		for (i = 0; i < 4; i++)
			if (op->traced[i] && n < sizeof(did))
				n += snprintf(did + n, sizeof(did) - n, "%s%s=%ld",
					      n ? " " : "", traced_names[i], op->traced[i]);
		if (!did[0])
			snprintf(did, sizeof(did), "none");
	}
	printf("# kvm-context,%s,%s,%s,%s\n", mmu, op->name, told, did);
}

/*
 * The machine-readable line for the bench report (a TAP comment), then the
 * counts the series expects, asserted only with --expect-keep: @reads read
 * faults (-1: not asserted), no fast page fault after a write removal
 * (@fast), and every callback traced with one of the actions in @acts,
 * each of them at least once.
 */
static void report(const struct op *op, long reads, int fast, int acts)
{
	char cb[24] = "n/a", wp[24] = "n/a", wf[24] = "refused", seen[96] = "";
	long traced = 0;
	int i, ok = op->callbacks > 0;

	if (op->callbacks >= 0)
		snprintf(cb, sizeof(cb), "%ld", op->callbacks);
	if (op->wrprot >= 0)
		snprintf(wp, sizeof(wp), "%ld", op->wrprot);
	if (!op->refused)
		snprintf(wf, sizeof(wf), "%ld", op->write_faults);
	printf("# kvm,%s,%s,%s,%ld,%s,%ld,%s,%ld,%ld,%ld\n", mmu, op->name, cb, op->zapped,
	       wp, op->read_faults, wf, op->tlb_requests, op->pf_fast, op->other_faults);
	report_context(op);
	if (expect_keep && reads == 0)
		check(!op->read_faults, op->name, "no read faults after the host operation",
		      "%ld read faults", op->read_faults);
	else if (expect_keep && reads > 0)
		check(op->read_faults == reads, op->name,
		      "read faults only on the pages the host replaced",
		      "%ld read faults, %ld pages replaced", op->read_faults, reads);
	if (expect_keep && fast)
		check(!op->pf_fast, op->name, "no fast page faults after write-protect",
		      "%ld fast page faults", op->pf_fast);
	if (!expect_keep)
		return;
	for (i = 0; i < ACT_N; i++) {
		traced += op->actions[i];
		if (acts & (1 << i))
			ok &= op->actions[i] > 0;
		else
			ok &= !op->actions[i];
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), " %s %ld",
			 act_names[i], op->actions[i]);
	}
	ok &= traced == op->callbacks;
	check(ok, op->name, "KVM traced the action the invalidations need",
	      "%ld callbacks, %ld with an action:%s", op->callbacks, traced, seen);
}

/* mprotect down refuses the write; mprotect up, and the write resumes. */
static void op_mprotect(struct vm *vm)
{
	struct op ro = { .name = "mprotect_ro" }, rw = { .name = "mprotect_rw" };
	__u32 old = next_val(), val = next_val();
	struct kvm_regs saved;
	int r;

	pass(vm, NULL, W_GPA, 1, old, 0);
	host_begin(vm, &ro);
	host_end(vm, &ro, mprotect(vm->data, DATA_SIZE, PROT_READ), "mprotect(PROT_READ)");
	r = pass(vm, &ro, W_GPA, 1, val, 1);
	if (ioctl(vm->vcpu, KVM_GET_REGS, &saved) < 0)
		setup_fail(ro.name, "KVM_GET_REGS");
	check(r == -EFAULT && saved.rip == W_GPA && saved.rsi == DATA_GPA && saved.rcx == NPAGES,
	      ro.name, "guest write refused with EFAULT at the first page",
	      "KVM_RUN %s; rip %#llx esi %#llx ecx %#llx", r ? "failed with EFAULT" : "succeeded",
	      saved.rip, saved.rsi, saved.rcx);
	check_landed(vm, ro.name, "host memory unchanged", old);
	report(&ro, 0, 1, A(WRPROTECT));

	host_begin(vm, &rw);
	host_end(vm, &rw, mprotect(vm->data, DATA_SIZE, PROT_READ | PROT_WRITE), "mprotect(RW)");
	if (r == -EFAULT)		/* resume the refused pass */
		run_pass(vm, &rw, &saved, 0);
	else				/* nothing to resume: write from the start */
		pass(vm, &rw, W_GPA, 1, val, 0);
	check_landed(vm, rw.name, "resumed guest writes all landed", val);
	report(&rw, 0, 0, A(KEEP));
}

/*
 * Soft-dirty clearing between a pass that maps the pages (@map) and a write
 * pass (@write): every page the guest writes must be soft-dirty again.
 */
static void soft_dirty_case(struct vm *vm, const char *name, __u64 map, __u64 write, long reads)
{
	struct op op = { .name = name };
	__u32 val = next_val();

	pass(vm, NULL, map, 1, next_val(), 0);
	host_begin(vm, &op);
	host_end(vm, &op, write_file("/proc/self/clear_refs", "4"), "writing 4 to clear_refs");
	check_soft_dirty(vm, op.name, 0);
	pass(vm, &op, write, 1, val, 0);
	check_soft_dirty(vm, op.name, 1);
	check_landed(vm, op.name, "guest writes all landed", val);
	report(&op, reads, 1, A(WRPROTECT));
}

static void op_soft_dirty(struct vm *vm)
{
	soft_dirty_case(vm, "soft_dirty", W_GPA, W_GPA, 0);
}

struct uffd_stats {
	int stop, err;
	long wp_faults, other;
};

/*
 * The next message of uffd (O_NONBLOCK) into @msg: 1, or 0 when @stop is
 * set; a poll error is stored in @err and ends the wait.
 */
static int uffd_next(const int *stop, int *err, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			*err = errno;
			return 0;
		}
		if (read(uffd, msg, sizeof(*msg)) == sizeof(*msg))
			return 1;
	}
	return 0;
}

/* A helper thread, with SIGALRM blocked: the watchdog must interrupt the vCPU. */
static void thread_start(const char *op, pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t alrm, old;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	errno = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno)
		setup_fail(op, "pthread_create");
}

/* Counts the write-protect faults and lets each go by un-protecting its page. */
static void *uffd_handler(void *arg)
{
	struct uffd_stats *u = arg;
	struct uffdio_writeprotect wp = { .range.len = PAGE, .mode = 0 };
	struct uffd_msg msg;

	while (uffd_next(&u->stop, &u->err, &msg)) {
		if (msg.event != UFFD_EVENT_PAGEFAULT ||
		    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP)) {
			u->other++;
			continue;
		}
		u->wp_faults++;
		/* Mode 0 removes the protection and wakes the fault. */
		wp.range.start = msg.arg.pagefault.address & ~(PAGE - 1);
		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
			u->err = errno;
	}
	return NULL;
}

static void op_uffd_wp(struct vm *vm)
{
	struct op op = { .name = "uffd_wp" };
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_range range = { .start = (unsigned long)vm->data, .len = DATA_SIZE };
	struct uffdio_register reg = { .range = range, .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .range = range, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct uffd_stats u = { 0 };
	__u32 val = next_val();
	pthread_t thread;

	pass(vm, NULL, W_GPA, 1, next_val(), 0);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		setup_fail(op.name, "userfaultfd with UFFD_FEATURE_PAGEFAULT_FLAG_WP");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		setup_fail(op.name, "UFFDIO_REGISTER (MODE_WP)");
	/* The handler runs from the read pass on; reads raise no message. */
	thread_start(op.name, &thread, uffd_handler, &u);

	host_begin(vm, &op);
	host_end(vm, &op, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp), "UFFDIO_WRITEPROTECT");
	pass(vm, &op, W_GPA, 1, val, 0);
	__atomic_store_n(&u.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	check(u.wp_faults == NPAGES && !u.other && !u.err, op.name,
	      "one write-protect fault message per page",
	      "%ld WP messages, %ld others, handler error: %s", u.wp_faults, u.other,
	      u.err ? strerror(u.err) : "none");
	check_landed(vm, op.name, "guest writes all landed", val);
	if (ioctl(uffd, UFFDIO_UNREGISTER, &range))
		setup_fail(op.name, "UFFDIO_UNREGISTER");
	close(uffd);
	report(&op, 0, 1, A(WRPROTECT));
}

/* Word @j of both pages of pair @k: identical within a pair, unique across pairs. */
static __u32 pair_word(int k, int j)
{
	return k * 0x9e3779b9u + j;
}

/* Merged pairs; the guest writes the even pages; the odd partners must not change. */
static void op_ksm(struct vm *vm)
{
	struct op op = { .name = "ksm" };
	int i, j, odd = 0, even = 0;
	__u32 val = next_val();

	pass(vm, NULL, W_GPA, 1, next_val(), 0);
	for (i = 0; i < NPAGES; i++)
		for (j = 0; j < (int)(PAGE / 4); j++)
			page(vm, i)[j] = pair_word(i / 2, j);
	host_begin(vm, &op);
	host_end(vm, &op, ksm_merge(vm->data), "KSM (" KSM "run, MADV_MERGEABLE)");
	check(ksm_merged >= NPAGES, op.name, "identical pairs merged",
	      "%ld of %d pages merged within %d s", ksm_merged, NPAGES, KSM_TIMEOUT);
	pass(vm, &op, W_GPA, 2, val, 0);
	for (i = 0; i < NPAGES; i += 2) {
		even += *page(vm, i) == val;
		for (j = 0; j < (int)(PAGE / 4) && page(vm, i + 1)[j] == pair_word(i / 2, j); j++)
			;
		odd += j == PAGE / 4;
	}
	check(odd == NPAGES / 2, op.name, "odd partners keep their content",
	      "%d of %d odd pages unchanged", odd, NPAGES / 2);
	check(even == NPAGES / 2, op.name, "guest writes to the even pages landed",
	      "%d of %d even pages written", even, NPAGES / 2);
	if (madvise(vm->data, DATA_SIZE, MADV_UNMERGEABLE))
		setup_fail(op.name, "MADV_UNMERGEABLE");
	/*
	 * ksmd makes one page of each pair a KSM page in place and replaces
	 * the other with it: both lose write, only the replaced one its page.
	 * mm says which will be replaced: KVM zaps it at the write-protect,
	 * so that the replacement finds nothing to flush.
	 */
	report(&op, NPAGES / 2, 1, A(WRPROTECT) | A(DROP));
	if (expect_keep)
		check(op.tlb_requests <= NPAGES, op.name,
		      "at most one remote TLB flush per page",
		      "%ld remote TLB flush requests for %d pages", op.tlb_requests, NPAGES);
}

/* The control: a zap on any kernel. */
static void op_dontneed(struct vm *vm)
{
	struct op op = { .name = "dontneed" };
	__u32 val = next_val();

	pass(vm, NULL, W_GPA, 1, next_val(), 0);
	host_begin(vm, &op);
	host_end(vm, &op, madvise(vm->data, DATA_SIZE, MADV_DONTNEED), "MADV_DONTNEED");
	pass(vm, &op, W_GPA, 1, val, 0);
	check_landed(vm, op.name, "guest writes all landed", val);
	report(&op, -1, 0, A(DROP));
}

/*
 * In a VM whose slot-1 gPTEs are read-only from the start, the guest makes
 * them writable itself (the host must not edit the gPTEs of a running
 * shadow-paged guest: KVM tracks only the guest's writes) and invlpg's.
 * The shadow MMU then rebuilds each SPTE in sync_spte() from its
 * Host-writable bit, which the soft-dirty write-protect must have cleared.
 * On TDP it is one more soft-dirty check.
 */
static void op_sync_spte(struct vm *vm)
{
	soft_dirty_case(vm, "sync_spte", R_GPA, S_GPA, -1);
}

/* --inflight: the pages of slot 1 the cases use, 16 each. */
#define IF_PAGES	16
#define IF_B1		0
#define IF_A		64
#define IF_B2		128
#define IF_C		192
#define IF_HOLD_MS	300

static int hmm_fd = -1, expect_tracked;

struct if_thread {
	pthread_t t;
	int go[2];
	void *addr;		/* holder: what it invalidates; NULL: releaser */
};

static void *if_run(void *arg)
{
	struct if_thread *th = arg;
	char c;

	if (read(th->go[0], &c, 1) != 1)
		return NULL;
	if (th->addr) {
		madvise(th->addr, IF_PAGES * PAGE, MADV_DONTNEED);
	} else {
		usleep(IF_HOLD_MS * 1000);
		ioctl(hmm_fd, HMM_HOLD_RELEASE);
	}
	return NULL;
}

/* Helper threads exist before a hold (creating one takes the mmap lock). */
static void if_start(const char *name, struct if_thread *th, void *addr)
{
	th->addr = addr;
	if (pipe(th->go))
		setup_fail(name, "pipe");
	thread_start(name, &th->t, if_run, th);
}

static void if_go(const char *name, struct if_thread *th)
{
	if (write(th->go[1], "g", 1) != 1)
		setup_fail(name, "pipe write");
}

static void if_join(struct if_thread *th)
{
	pthread_join(th->t, NULL);
	close(th->go[0]);
	close(th->go[1]);
}

static void if_status(const char *name, struct hmm_hold *st)
{
	if (ioctl(hmm_fd, HMM_HOLD_STATUS, st))
		setup_fail(name, "HMM_HOLD_STATUS");
}

/* Arms [first, last page + IF_PAGES) and waits until @n holders are held. */
static void if_hold(const char *name, struct vm *vm, int first, int last,
		    struct if_thread *holders, int n)
{
	struct hmm_hold st = {
		.addr = (unsigned long)page(vm, first),
		.npages = last + IF_PAGES - first,
	};
	int i;

	if (ioctl(hmm_fd, HMM_HOLD_ARM, &st))
		setup_fail(name, "HMM_HOLD_ARM");
	for (i = 0; i < n; i++)
		if_go(name, &holders[i]);
	for (i = 0; i < 5000; i++) {
		if_status(name, &st);
		if (st.holding == (__u64)n)
			return;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	setup_fail(name, "the test driver's listener did not hold the ranges");
}

/* Zap A's SPTEs and give it host pages, or none (for userfaultfd). */
static void if_prepare_a(const char *name, struct vm *vm, int populate)
{
	if (madvise(page(vm, IF_A), IF_PAGES * PAGE, MADV_DONTNEED))
		setup_fail(name, "MADV_DONTNEED of A");
	if (populate)
		memset(page(vm, IF_A), 0x22, IF_PAGES * PAGE);
}

/*
 * What the SPTEs of the memslot map after the race (A, and the ranges
 * invalidated beside it): the guest writes a new value to each page, and
 * each host page must hold it.  A stale SPTE would send the write to a
 * page the host no longer maps there.
 */
static void if_check_writes(const char *name, struct vm *vm)
{
	struct kvm_regs regs = {
		.rip = W_GPA, .rsi = DATA_GPA, .rdi = DATA_PT_GPA,
		.rbx = PAGE, .rcx = NPAGES, .rax = next_val(), .rflags = 0x2,
	};
	int i, n = 0;

	run_guest(vm, name, &regs, 0);
	for (i = 0; i < NPAGES; i++)
		n += *page(vm, i) == (__u32)regs.rax;
	check(n == NPAGES, name, "the guest's writes reach the host's pages",
	      "%d of %d pages hold %#llx", n, NPAGES, regs.rax);
}

/*
 * The guest reads A; prints the case's line.  @held: whether a hold is on
 * until the releaser lets it go.
 */
static void if_read_a(const char *name, struct vm *vm, int held, long *faults,
		      long *retries, int *done)
{
	struct kvm_regs regs = {
		.rip = R_GPA, .rsi = DATA_GPA + IF_A * PAGE, .rdi = DATA_PT_GPA,
		.rbx = PAGE, .rcx = IF_PAGES, .rax = next_val(), .rflags = 0x2,
	};
	__u64 t0, f0, e0, s0, t1, f1, e1, s1;
	struct hmm_hold st;

	t0 = stat_read(vm->vcpu_stats, vm->pf_taken);
	f0 = stat_read(vm->vcpu_stats, vm->pf_fixed);
	e0 = stat_read(vm->vcpu_stats, vm->pf_emulate);
	s0 = stat_read(vm->vcpu_stats, vm->pf_spurious);
	run_guest(vm, name, &regs, 0);
	if_status(name, &st);
	t1 = stat_read(vm->vcpu_stats, vm->pf_taken);
	f1 = stat_read(vm->vcpu_stats, vm->pf_fixed);
	e1 = stat_read(vm->vcpu_stats, vm->pf_emulate);
	s1 = stat_read(vm->vcpu_stats, vm->pf_spurious);
	*faults = f1 - f0;
	*retries = (t1 - t0) - (f1 - f0) - (e1 - e0) - (s1 - s0);
	*done = held ? !st.releases : -1;
	if (held)
		printf("# inflight,kvm,%s,%s,%ld,%ld,%d\n", mmu, name, *faults,
		       *retries, *done);
	else
		printf("# inflight,kvm,%s,%s,%ld,%ld,-\n", mmu, name, *faults,
		       *retries);
}

/* A guest read of A while ranges are held; @b2: B2 too, else @first only. */
static void if_held_case(const char *name, struct vm *vm, int first, int b2,
			 long *faults, long *retries, int *done)
{
	struct if_thread th[3];
	int n = b2 ? 2 : 1, i;

	if_prepare_a(name, vm, 1);
	if_start(name, &th[0], page(vm, first));
	if (b2)
		if_start(name, &th[1], page(vm, IF_B2));
	if_start(name, &th[n], NULL);
	if_hold(name, vm, first, b2 ? IF_B2 : first, th, n);
	if_go(name, &th[n]);
	if_read_a(name, vm, 1, faults, retries, done);
	for (i = 0; i <= n; i++)
		if_join(&th[i]);
	/*
	 * Only once the invalidating threads have returned: until the zap of
	 * A is done, the host still maps A's old pages, so a write through a
	 * stale SPTE would land in the right page and pass.
	 */
	if_check_writes(name, vm);
}

struct if_uffd {
	struct vm *vm;
	int stop, err, own;	/* own: invalidate the faulting page, not C */
	long copies;
	unsigned char *src;
};

/* Fills each missing page of A after an invalidation of C or of the page. */
static void *if_uffd_handler(void *arg)
{
	struct if_uffd *u = arg;
	struct uffdio_copy copy = { .len = PAGE };
	struct uffd_msg msg;
	unsigned long addr;
	int i;

	while (uffd_next(&u->stop, &u->err, &msg)) {
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			u->err = EPROTO;
			continue;
		}
		addr = msg.arg.pagefault.address & ~(PAGE - 1);
		if (madvise(u->own ? (void *)addr : page(u->vm, IF_C),
			    u->own ? PAGE : IF_PAGES * PAGE, MADV_DONTNEED))
			u->err = errno;
		/*
		 * own: eight more invalidations of C end during the fault, one
		 * page each, so that KVM forgets the page's own among those it
		 * keeps (the last eight): the fault must still retry.
		 */
		for (i = 0; u->own && i < 8; i++)
			if (madvise(page(u->vm, IF_C + i), PAGE, MADV_DONTNEED))
				u->err = errno;
		copy.dst = addr;
		copy.src = (unsigned long)u->src;
		if (ioctl(uffd, UFFDIO_COPY, &copy) && errno != EEXIST)
			u->err = errno;
		u->copies++;
	}
	return NULL;
}

static void if_uffd_case(const char *name, struct vm *vm, int own, long *faults,
			 long *retries)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_range range = {
		.start = (unsigned long)page(vm, IF_A), .len = IF_PAGES * PAGE,
	};
	struct uffdio_register reg = {
		.range = range, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct if_uffd u = { .vm = vm, .own = own };
	pthread_t thread;
	int done;

	u.src = malloc(PAGE);
	if (!u.src)
		setup_fail(name, "malloc");
	memset(u.src, 0x33, PAGE);
	if_prepare_a(name, vm, 0);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		setup_fail(name, "userfaultfd");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		setup_fail(name, "UFFDIO_REGISTER (MODE_MISSING)");
	thread_start(name, &thread, if_uffd_handler, &u);
	if_read_a(name, vm, 0, faults, retries, &done);
	__atomic_store_n(&u.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	check(u.copies == IF_PAGES && !u.err, name, "one userfault per page of A",
	      "%ld copies, handler error: %s", u.copies,
	      u.err ? strerror(u.err) : "none");
	if (ioctl(uffd, UFFDIO_UNREGISTER, &range))
		setup_fail(name, "UFFDIO_UNREGISTER");
	if_check_writes(name, vm);
	close(uffd);
	uffd = -1;
	free(u.src);
}

static int inflight(const char *want_mmu)
{
	struct hmm_hold st = { .npages = 1 };
	long faults, retries;
	struct vm vm;
	int done;

	/*
	 * Checks: setup 1, two-holds 1, one-hold 1, uffd-other 1, hold-a 1,
	 * uffd-a 2, the writes of each case 5; --mmu 1; --expect-tracked 2.
	 */
	printf("1..%d\n", 12 + !!want_mmu + 2 * expect_tracked);
	hmm_fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (hmm_fd < 0)
		setup_fail("inflight", "open /dev/hmm_dmirror0");
	/* Registers the listener now: KVM's, registered later, is told first. */
	st.addr = (unsigned long)&st & ~(PAGE - 1);
	if (ioctl(hmm_fd, HMM_HOLD_ARM, &st) || ioctl(hmm_fd, HMM_HOLD_RELEASE))
		setup_fail("inflight", "HMM_HOLD_ARM");
	vm_create_checked(&vm, want_mmu);
	pass(&vm, NULL, R_GPA, 1, next_val(), 0);

	if_held_case("two-holds", &vm, IF_B1, 1, &faults, &retries, &done);
	/* Not one per page: once nothing is in progress, prefetch maps several. */
	check(faults > 0, "two-holds", "the guest faulted on A", "%ld faults fixed",
	      faults);
	if (expect_tracked)
		check(!retries && done, "two-holds",
		      "no retry while B1 and B2 are held (--expect-tracked)",
		      "%ld retries, done before the release: %d", retries, done);

	if_held_case("one-hold", &vm, IF_B1, 0, &faults, &retries, &done);
	check(!retries && done, "one-hold", "no retry while B1 alone is held",
	      "%ld retries, done before the release: %d", retries, done);

	if_uffd_case("uffd-other", &vm, 0, &faults, &retries);
	if (expect_tracked)
		check(!retries, "uffd-other",
		      "no retry when C's invalidation ends during a fault (--expect-tracked)",
		      "%ld retries", retries);

	if_held_case("hold-a", &vm, IF_A, 0, &faults, &retries, &done);
	check(retries > 0 && !done, "hold-a", "the faults on A wait while A is held",
	      "%ld retries, done before the release: %d", retries, done);

	if_uffd_case("uffd-a", &vm, 1, &faults, &retries);
	check(retries >= IF_PAGES, "uffd-a",
	      "a retry per page when its invalidation ends during its fault",
	      "%ld retries", retries);

	vm_destroy(&vm);
	close(hmm_fd);
	return nfail ? 1 : 0;
}

/*
 * --isolation: after fork (copy-on-write), migration and THP collapse,
 * each guest write must land in a page of this process's own, the one its
 * address maps now: never in the page the child shares, nor in the page
 * that was moved or collapsed away.  The host checks the value at each
 * address, and by pfn (/proc/self/pagemap) that the guest wrote to new
 * pages.
 */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#define PM_PFN(e)	((e) & ((1ULL << 55) - 1))
#define PM_PRESENT(e)	((e) >> 63)

static __u64 pm_before[NPAGES], pm_after[NPAGES];

/* The pagemap entries of slot 1's pages into @pm. */
/* Slot 1's pagemap entries into @pm: 0, or -1 (any thread may call it). */
static int pagemap_get(const struct vm *vm, __u64 *pm)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), r = -1;

	if (fd >= 0) {
		if (pread(fd, pm, NPAGES * 8, (unsigned long)vm->data / PAGE * 8) == NPAGES * 8)
			r = 0;
		close(fd);
	}
	return r;
}

static void pagemap_read(const struct vm *vm, const char *op, __u64 *pm)
{
	if (pagemap_get(vm, pm))
		setup_fail(op, "reading /proc/self/pagemap");
}

/* Pages [first, first + n) present, with a pfn other than before. */
static int pages_replaced(int first, int n)
{
	int i, moved = 0;

	for (i = first; i < first + n; i++)
		moved += PM_PRESENT(pm_after[i]) && PM_PFN(pm_after[i]) &&
			 PM_PFN(pm_after[i]) != PM_PFN(pm_before[i]);
	return moved;
}

/*
 * fork() write-protects the parent's pages, which the child then shares.
 * The guest's writes after it must break copy-on-write: they land in new
 * pages of the parent, and the child keeps the values from before.
 */
static void iso_fork(struct vm *vm)
{
	const char *op = "fork";
	__u32 old = next_val(), val = next_val();
	int go[2], status, n;
	char c = 0;
	pid_t pid;

	pass(vm, NULL, W_GPA, 1, old, 0);	/* every SPTE writable */
	pagemap_read(vm, op, pm_before);
	if (pipe(go))
		setup_fail(op, "pipe");
	pid = fork();
	if (pid < 0)
		setup_fail(op, "fork");
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (n = 0; n < NPAGES && *page(vm, n) == old; n++)
			;
		_exit(n == NPAGES ? 0 : 1);
	}
	close(go[0]);
	pass(vm, NULL, W_GPA, 1, val, 0);
	pagemap_read(vm, op, pm_after);
	check_landed(vm, op, "guest writes landed in the parent's pages", val);
	n = pages_replaced(0, NPAGES);
	check(n == NPAGES, op, "each guest write broke copy-on-write (a new pfn)",
	      "%d of %d pages have a new pfn", n, NPAGES);
	if (write(go[1], &c, 1) != 1 || waitpid(pid, &status, 0) != pid)
		setup_fail(op, "waking the child");
	close(go[1]);
	check(WIFEXITED(status) && !WEXITSTATUS(status), op,
	      "the child's pages keep the values from before the fork",
	      "the child exited with %#x (1: a page changed)", status);
}

/* Every page of slot 1 moves to the other NUMA node; the guest writes. */
static void iso_migrate(struct vm *vm)
{
	const char *op = "migrate";
	static int nodes[NPAGES], status[NPAGES];
	static void *pages[NPAGES];
	__u32 old = next_val(), val = next_val();
	int i, n = 0;

	if (access("/sys/devices/system/node/node1", F_OK))
		setup_fail(op, "needs two NUMA nodes (numa=fake=2)");
	pass(vm, NULL, W_GPA, 1, old, 0);
	for (i = 0; i < NPAGES; i++)
		pages[i] = page(vm, i);
	if (syscall(__NR_move_pages, 0, NPAGES, pages, NULL, status, 0))
		setup_fail(op, "move_pages (query)");
	for (i = 0; i < NPAGES; i++)
		nodes[i] = status[i] == 0;
	pagemap_read(vm, op, pm_before);
	if (syscall(__NR_move_pages, 0, NPAGES, pages, nodes, status, 1 << 1 /* MPOL_MF_MOVE */))
		setup_fail(op, "move_pages");
	for (i = 0; i < NPAGES; i++)
		n += status[i] == nodes[i];
	check(n == NPAGES, op, "every page moved to the other node",
	      "%d of %d pages moved", n, NPAGES);
	pass(vm, NULL, W_GPA, 1, val, 0);
	pagemap_read(vm, op, pm_after);
	n = pages_replaced(0, NPAGES);
	check(n == NPAGES, op, "every page has a new pfn", "%d of %d", n, NPAGES);
	check_landed(vm, op, "guest writes landed in the new pages", val);
}

/*
 * The 2 MiB-aligned block of slot 1 becomes one huge page
 * (MADV_COLLAPSE, which copies); the guest writes.
 */
static void iso_collapse(struct vm *vm)
{
	const char *op = "collapse";
	unsigned long blk = ((unsigned long)vm->data + HPAGE - 1) & ~(HPAGE - 1);
	int first = (blk - (unsigned long)vm->data) / PAGE, n = HPAGE / PAGE;
	__u32 old = next_val(), val = next_val();
	int i, tries, contig = 0;

	pass(vm, NULL, W_GPA, 1, old, 0);
	pagemap_read(vm, op, pm_before);
	if (madvise(vm->data, DATA_SIZE, MADV_HUGEPAGE))
		setup_fail(op, "MADV_HUGEPAGE");
	for (tries = 0; madvise((void *)blk, HPAGE, MADV_COLLAPSE); tries++)
		if (errno != EAGAIN || tries == 10)
			setup_fail(op, "MADV_COLLAPSE");
	pagemap_read(vm, op, pm_after);
	for (i = 0; i < n; i++)
		contig += PM_PRESENT(pm_after[first + i]) &&
			  PM_PFN(pm_after[first + i]) == PM_PFN(pm_after[first]) + i;
	check(contig == n && !(PM_PFN(pm_after[first]) & (n - 1)) &&
	      pages_replaced(first, n) == n, op,
	      "the block is one huge page, new",
	      "%d of %d pfns contiguous from %#llx, %d new", contig, n,
	      PM_PFN(pm_after[first]), pages_replaced(first, n));
	pass(vm, NULL, W_GPA, 1, val, 0);
	check_landed(vm, op, "guest writes landed in the huge page and around it", val);
	if (madvise(vm->data, DATA_SIZE, MADV_NOHUGEPAGE))
		setup_fail(op, "MADV_NOHUGEPAGE");
}

/* Checks: setup 1, --mmu 1, fork 3, migrate 3, collapse 2. */
static int isolation(const char *want_mmu)
{
	struct vm vm;

	printf("1..%d\n", 9 + !!want_mmu);
	vm_create_checked(&vm, want_mmu);
	iso_fork(&vm);
	iso_migrate(&vm);
	iso_collapse(&vm);
	vm_destroy(&vm);
	return nfail ? 1 : 0;
}

/*
 * --stress=SECONDS: the guest, two device writers, a device reader and a
 * CPU writer access slot 1 for SECONDS while mutator threads change its
 * mappings in every way the series names, on the same pages and beside
 * them.  Pages by owner: 0-255 the guest's, 256-383 and 384-511 the two
 * device writers' (a mirror each), 512-1023 the CPU writer's.  Only the
 * owner writes its pages and no mutator changes data, so after each write
 * the guest and the device writers must find in each of their pages what
 * they wrote there last (the guest writes, and so checks, the first word
 * of each page; the devices all of it): else a write was lost, or landed
 * in a page that is no longer the process's.  A write that began on a KSM
 * page must have faulted.  A third mirror reads the CPU writer's pages:
 * each must hold the generation being written or one written since the
 * read began.  A forked child checks that its copy does not change after
 * the fork (a parent-side write into a page they share).  TAP comments:
 *   # stress,<mutator>,<ops>,<ops/s>,<refused> refused	(one per mutator)
 *   # stress,accesses,<guest, device and CPU counts>,<page accesses/s> in <s>
 *   # stress,seen,<KSM, collapse, uffd-wp and NUMA hinting counts>
 * NUMA hinting counts are /proc/vmstat's, for the whole system.
 */
#define ST_GUEST	256
#define ST_DEV		128		/* per device writer */
#define ST_DEV_N	2
#define ST_CPU0		(ST_GUEST + ST_DEV_N * ST_DEV)
#define ST_CPU		(NPAGES - ST_CPU0)
#define NUMA_DEBUG	"/sys/kernel/debug/sched/numa_balancing/"
#define ST_KSM		6		/* KSM's index in st_mutators[] */

struct stress {
	struct vm *vm;
	int stop;
	long guest_runs, guest_written, guest_pages, guest_efaults, guest_ksm;
	long dev_writes[ST_DEV_N], dev_pages[ST_DEV_N], dev_refused[ST_DEV_N];
	long dev_ksm[ST_DEV_N];		/* writes onto pages KSM had merged */
	long dev_reads, dev_read_refused, cpu_gens;
	long fork_bad, ksm_seen, collapsed;
	char fork_what[32];		/* the first bad child's */
	int solo;			/* the mutator that runs alone, or -1 */
	double seconds;			/* how long the accessors ran */
	unsigned int cpu_writing, cpu_done;	/* generations of the CPU writer */
	int failed;			/* bad[] is being or was written */
	char bad[160];			/* the first failure */
	int hfd[ST_DEV_N + 1];
	struct uffd_stats u;
};

/* A mutator: one step changes the mappings; 0, or -1 if it was refused. */
struct st_mutator {
	const char *name;
	int (*step)(struct stress *s, unsigned int *rnd);
	int nap_us;			/* between steps */
	long ops, refused;
};

static struct stress st;
static pthread_t st_threads[16], st_handler;
static int st_nthreads, st_handler_on;

/* Stops and joins the stress threads, if any run (also at exit()). */
static void stress_stop(void)
{
	int i;

	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < st_nthreads; i++)
		pthread_join(st_threads[i], NULL);
	st_nthreads = 0;
	if (st_handler_on) {
		__atomic_store_n(&st.u.stop, 1, __ATOMIC_RELEASE);
		pthread_join(st_handler, NULL);
		st_handler_on = 0;
	}
}

static int st_stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void st_nap(struct stress *s, int us)
{
	if (!st_stopped(s))
		usleep(us);
}

static void __attribute__((format(printf, 2, 3))) st_fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_exchange_n(&s->failed, 1, __ATOMIC_ACQ_REL)) {
		va_start(ap, fmt);
		vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}

static unsigned int st_rand(unsigned int *r)
{
	*r = *r * 1103515245 + 12345;
	return *r >> 8;
}

/*
 * A device command of @n pages from page @first through @buf: 0 or errno;
 * adds the device faults it took to @faults.
 */
static int st_dev(int fd, unsigned long req, struct stress *s, int first, int n, void *buf,
		  long *faults)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (unsigned long)page(s->vm, first), .ptr = (unsigned long)buf, .npages = n,
	};

	while (ioctl(fd, req, &cmd))
		if (errno != EINTR)
			return errno;
	*faults += cmd.faults;
	return cmd.cpages == (__u64)n ? 0 : EIO;
}

/*
 * Whether page @i of slot 1 is a KSM page now: whether another page of
 * slot 1 maps the same pfn (pagemap).  Not KPF_KSM of /proc/kpageflags,
 * which 6.12 sets for every anonymous page (fs/proc/page.c tests
 * PAGE_MAPPING_KSM, which includes PAGE_MAPPING_ANON, as a mask).
 */
static int st_is_ksm(struct stress *s, int i)
{
	__u64 pm[NPAGES];
	int j, ksm = 0;

	if (!pagemap_get(s->vm, pm) && PM_PRESENT(pm[i]) && PM_PFN(pm[i]))
		for (j = 0; j < NPAGES && !ksm; j++)
			ksm = j != i && PM_PRESENT(pm[j]) && PM_PFN(pm[j]) == PM_PFN(pm[i]);
	return ksm;
}

/*
 * Each write covers a random run of up to ST_RUN of the writer's pages, so
 * that pages one write leaves alone can share a KSM page with pages it
 * writes: a write through a stale translation of the KSM page then shows
 * in the pages it left alone.
 */
#define ST_RUN		32

static void *st_dev_writer(void *arg)
{
	struct stress *s = arg;
	static int next;
	int d = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
	int first = ST_GUEST + d * ST_DEV, i, j, a, n, ksm, err;
	unsigned int rnd = 100 + d;
	__u32 *buf = malloc(ST_RUN * PAGE), want[ST_DEV], gen = 0, v, w;
	long faults;

	if (!buf) {
		st_fail(s, "malloc");
		return NULL;
	}
	for (i = 0; i < ST_DEV; i++)
		want[i] = *page(s->vm, first + i);
	while (!st_stopped(s)) {
		a = st_rand(&rnd) % ST_DEV;
		n = 1 + st_rand(&rnd) % ST_RUN;
		if (n > ST_DEV - a)
			n = ST_DEV - a;
		v = 0xd0000000 | d << 24 | (++gen & 0xffffff);
		/*
		 * KSM's page is read-only: a write onto one must fault (and
		 * copy it).  Without a device fault, the mirror wrote through
		 * a translation it kept when KSM merged the page.  A write
		 * onto one is of that page alone, so that its faults are the
		 * page's; and each attempt is looked at on its own (a failed
		 * one may have faulted the page in already).
		 */
		for (;;) {
			ksm = st_is_ksm(s, first + a);
			if (ksm)
				n = 1;
			for (i = 0; i < (int)(n * PAGE / 4); i++)
				buf[i] = v;
			faults = 0;
			err = st_dev(s->hfd[d], HMM_DMIRROR_WRITE, s, first + a, n, buf, &faults);
			if (!err || st_stopped(s))
				break;
			/* EPERM while read-only (mprotect); EBUSY: invalidated meanwhile */
			if (err != EPERM && err != EBUSY) {
				st_fail(s, "device %d: write of pages %d-%d: %s", d, first + a,
					first + a + n - 1, strerror(err));
				break;
			}
			s->dev_refused[d]++;
			usleep(200);
		}
		if (err)
			break;
		s->dev_writes[d]++;
		s->dev_pages[d] += n;
		s->dev_ksm[d] += ksm;
		if (ksm && !faults)
			st_fail(s, "device %d: wrote onto KSM page %d without a fault", d, first + a);
		for (i = a; i < a + n; i++)
			want[i] = v;
		for (i = 0; i < ST_DEV; i++)
			for (j = 0; j < (int)(PAGE / 4); j++) {
				w = page(s->vm, first + i)[j];
				if (w != want[i]) {
					st_fail(s, "device %d: page %d word %d holds %#x, not %#x",
						d, first + i, j, w, want[i]);
					goto out;
				}
			}
		/* A rest for the guest's vCPU, and a longer one for ksmd (nice 5) */
		st_nap(s, s->dev_writes[d] % 8 ? 1000 : 100000);
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
		__atomic_store_n(&s->cpu_writing, ++g, __ATOMIC_RELEASE);
		for (i = ST_CPU0; i < NPAGES; i++)
			__atomic_store_n(page(s->vm, i), 0xc0000000 | g, __ATOMIC_RELEASE);
		__atomic_store_n(&s->cpu_done, g, __ATOMIC_RELEASE);
		s->cpu_gens++;
		st_nap(s, 1000);
	}
	return NULL;
}

static void *st_dev_reader(void *arg)
{
	struct stress *s = arg;
	__u32 *buf = malloc(ST_CPU * PAGE), before, after, w;
	long faults = 0;
	int i, err;

	if (!buf) {
		st_fail(s, "malloc");
		return NULL;
	}
	while (!st_stopped(s)) {
		before = __atomic_load_n(&s->cpu_done, __ATOMIC_ACQUIRE);
		err = st_dev(s->hfd[ST_DEV_N], HMM_DMIRROR_READ, s, ST_CPU0, ST_CPU, buf, &faults);
		if (err == EBUSY) {	/* invalidated meanwhile */
			s->dev_read_refused++;
			usleep(200);
			continue;
		}
		if (err) {
			st_fail(s, "device read of the CPU's pages: %s", strerror(err));
			break;
		}
		after = __atomic_load_n(&s->cpu_writing, __ATOMIC_ACQUIRE);
		s->dev_reads++;
		st_nap(s, 2000);	/* ksmd, at nice 5, needs a CPU too */
		for (i = 0; i < ST_CPU; i++) {
			w = buf[i * PAGE / 4];
			if (w >> 24 != 0xc0 || (w & 0xffffff) < before || (w & 0xffffff) > after) {
				st_fail(s, "device read of page %d: %#x, generations %u-%u then",
					ST_CPU0 + i, w, before, after);
				break;
			}
		}
	}
	free(buf);
	return NULL;
}

/*
 * The device writers' pages read-only for 1 ms, beside the guest's.  Not
 * the CPU writer's, which would SEGV.  Nor the guest's, which uffd-wp
 * write-protects: when a vCPU fault's GUP fails (the pages were made
 * read-only meanwhile), 6.12 KVM probes for a poisoned page with a GUP
 * write that may not retry (check_user_page_hwpoison()), and if the page
 * is uffd-wp protected by then, handle_userfault() fails that GUP with a
 * stack dump under DEBUG_VM.
 */
static int st_mprotect(struct stress *s, unsigned int *rnd)
{
	void *p = page(s->vm, ST_GUEST);
	int r = mprotect(p, ST_DEV_N * ST_DEV * PAGE, PROT_READ);

	(void)rnd;
	st_nap(s, 1000);
	if (mprotect(p, ST_DEV_N * ST_DEV * PAGE, PROT_READ | PROT_WRITE))
		st_fail(s, "mprotect back to read-write: %s", strerror(errno));
	return r;
}

/* One page of the CPU writer's made executable and back: splits its huge page. */
static int st_split(struct stress *s, unsigned int *rnd)
{
	void *p = page(s->vm, ST_CPU0 + st_rand(rnd) % ST_CPU);

	return mprotect(p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	       mprotect(p, PAGE, PROT_READ | PROT_WRITE) ? -1 : 0;
}

static int st_clear_refs(struct stress *s, unsigned int *rnd)
{
	(void)s;
	(void)rnd;
	return write_file("/proc/self/clear_refs", "4");
}

/*
 * The guest's pages write-protected for 1 ms; the handler lets each fault
 * go.  Not the devices': a device fault cannot wait for the handler
 * (hmm_range_fault() does not allow a retry), and handle_userfault() then
 * fails it, with a stack dump under DEBUG_VM.
 */
static int st_uffd_wp(struct stress *s, unsigned int *rnd)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)s->vm->data, .len = ST_GUEST * PAGE },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int r = ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);

	(void)rnd;
	st_nap(s, 1000);
	wp.mode = 0;
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		st_fail(s, "UFFDIO_WRITEPROTECT (off): %s", strerror(errno));
	return r;
}

/* 16 random pages to random nodes. */
static int st_move(struct stress *s, unsigned int *rnd)
{
	int nodes[16], status[16], i;
	void *pages[16];

	for (i = 0; i < 16; i++) {
		pages[i] = page(s->vm, st_rand(rnd) % NPAGES);
		nodes[i] = st_rand(rnd) & 1;
	}
	/* A positive return counts pages left where they were (busy): not a refusal */
	return syscall(__NR_move_pages, 0, 16, pages, nodes, status, 1 << 1 /* MPOL_MF_MOVE */) <
	       0 ? -1 : 0;
}

/* The pfn page @i of slot 1 maps now, or 0 (pagemap). */
static __u64 st_pfn(struct stress *s, int i)
{
	__u64 pm[NPAGES];

	return !pagemap_get(s->vm, pm) && PM_PRESENT(pm[i]) ? PM_PFN(pm[i]) : 0;
}

/*
 * The CPU writer's 2 MiB block (the other one is registered for uffd-wp).
 * A collapse copies into a new huge page; MADV_COLLAPSE of a block mapped
 * huge already does nothing and returns 0: counted only with a new pfn.
 */
static int st_collapse(struct stress *s, unsigned int *rnd)
{
	__u64 pfn = st_pfn(s, ST_CPU0), after;

	(void)rnd;
	if (madvise(page(s->vm, ST_CPU0), HPAGE, MADV_COLLAPSE))
		return -1;
	after = st_pfn(s, ST_CPU0);
	if (after != pfn && !(after % (HPAGE / PAGE)))	/* new, and a huge page's first */
		s->collapsed++;
	return 0;
}

/* Slot 1 mergeable for 500 ms (ksmd scans it every 10 ms), then unmerged. */
static int st_ksm(struct stress *s, unsigned int *rnd)
{
	char buf[32];
	long n;
	int r;

	(void)rnd;
	r = madvise(s->vm->data, DATA_SIZE, MADV_MERGEABLE);
	st_nap(s, 500000);
	n = read_file("/proc/self/ksm_merging_pages", buf, sizeof(buf)) ? 0 : atol(buf);
	if (n > s->ksm_seen)
		s->ksm_seen = n;
	return madvise(s->vm->data, DATA_SIZE, MADV_UNMERGEABLE) || r ? -1 : 0;
}

/* A child keeps a copy of slot 1's first words from just after the fork, and compares. */
static int st_fork(struct stress *s, unsigned int *rnd)
{
	static __u32 copy[NPAGES];
	int status, i;
	pid_t pid;

	(void)rnd;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {	/* exits 1 + the owner of the first page that changed */
		for (i = 0; i < NPAGES; i++)
			copy[i] = *page(s->vm, i);
		usleep(20000);
		for (i = 0; i < NPAGES; i++)
			if (*page(s->vm, i) != copy[i])
				_exit(1 + (i >= ST_GUEST) + (i >= ST_CPU0));
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		s->fork_bad++;
		if (!s->fork_what[0])
			snprintf(s->fork_what, sizeof(s->fork_what), "%s",
				 !WIFEXITED(status) ? "killed by a signal" :
				 WEXITSTATUS(status) == 1 ? "a guest page changed" :
				 WEXITSTATUS(status) == 2 ? "a device page changed" :
				 "a CPU page changed");
	}
	return 0;
}

/* The guard page after slot 1 mapped, touched, and back to PROT_NONE. */
static int st_remap(struct stress *s, unsigned int *rnd)
{
	unsigned char *g = s->vm->data + DATA_SIZE;

	(void)rnd;
	if (mmap(g, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return -1;
	g[0] = 1;
	if (munmap(g, PAGE) ||
	    mmap(g, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		st_fail(s, "restoring the guard page: %s", strerror(errno));
	return 0;
}

/* NUMA hinting on for 50 ms: the scanner makes slot 1's ptes PROT_NONE */
static int st_numa(struct stress *s, unsigned int *rnd)
{
	int r = write_file(NUMA_BALANCING, "1");

	(void)rnd;
	st_nap(s, 50000);
	if (write_file(NUMA_BALANCING, "0"))
		st_fail(s, "writing 0 to " NUMA_BALANCING);
	return r;
}

static struct st_mutator st_mutators[] = {
	{ .name = "mprotect", .step = st_mprotect, .nap_us = 50000 },
	{ .name = "split", .step = st_split, .nap_us = 20000 },
	{ .name = "clear_refs", .step = st_clear_refs, .nap_us = 100000 },
	{ .name = "uffd_wp", .step = st_uffd_wp, .nap_us = 40000 },
	{ .name = "move_pages", .step = st_move, .nap_us = 10000 },
	{ .name = "collapse", .step = st_collapse, .nap_us = 50000 },
	[ST_KSM] = { .name = "ksm", .step = st_ksm, .nap_us = 0 },
	{ .name = "fork", .step = st_fork, .nap_us = 100000 },
	{ .name = "munmap_remap", .step = st_remap, .nap_us = 5000 },
	{ .name = "numa_hinting", .step = st_numa, .nap_us = 10000 },
};
#define ST_MUT_N	((int)(sizeof(st_mutators) / sizeof(st_mutators[0])))

/*
 * Phases of ST_PHASE_MS: every mutator runs in the even ones, and only one
 * starts steps in the odd ones, so that each kind of invalidation is also
 * the last one before an access (a device write onto pages KSM just
 * merged, say), not only one among many.  Not strictly alone: a step under
 * way ends in the next phase, ksmd merges as long as slot 1 is mergeable,
 * and NUMA hinting's PROT_NONE entries stay until they fault.  KSM has
 * every other odd phase: it acts the slowest, on pages that stayed the
 * same from one scan to the next, and so needs time alone most.  The
 * others have the rest, in turn (a round of them takes 12 s).
 */
#define ST_PHASE_MS	300

static void *st_phases(void *arg)
{
	struct stress *s = arg;
	int phase = 0;

	while (!st_stopped(s)) {
		st_nap(s, ST_PHASE_MS * 1000);
		phase++;
		__atomic_store_n(&s->solo, phase % 2 == 0 ? -1 : phase % 4 == 1 ? ST_KSM :
				 phase / 4 % ST_MUT_N, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *st_mutate(void *arg)
{
	struct st_mutator *m = arg;
	int me = m - st_mutators, solo;
	unsigned int rnd = me + 1;

	while (!st_stopped(&st)) {
		solo = __atomic_load_n(&st.solo, __ATOMIC_ACQUIRE);
		if (solo >= 0 && solo != me) {
			st_nap(&st, 2000);
			continue;
		}
		if (m->step(&st, &rnd))
			m->refused++;
		m->ops++;
		st_nap(&st, m->nap_us);
	}
	return NULL;
}

/*
 * Guest runs over its pages in turn, each of a random length up to ST_RUN
 * (so that the runs' bounds move from one sweep to the next), each resumed
 * after EFAULT, for @seconds and until it has written each of its pages,
 * but not @seconds + RUN_TIMEOUT.  After each, its pages must hold what it
 * wrote last (the first word of each page).
 */
static void st_guest(struct stress *s, int seconds)
{
	__u32 gen = 0, v, w, want[ST_GUEST];
	unsigned int rnd = 99;
	struct timespec t0, t1, t;
	struct kvm_regs regs;
	char done[ST_GUEST] = { 0 };
	int a = 0, n = 0, i, ksm;
	long faults;

	for (i = 0; i < ST_GUEST; i++)
		want[i] = *page(s->vm, i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		a = (a + n) % ST_GUEST;
		n = 1 + st_rand(&rnd) % ST_RUN;
		if (n > ST_GUEST - a)
			n = ST_GUEST - a;
		v = 0x47000000 | (++gen & 0xffffff);
		regs = (struct kvm_regs) {
			.rip = W_GPA, .rsi = DATA_GPA + a * PAGE, .rbx = PAGE, .rcx = n,
			.rax = v, .rflags = 0x2,
		};
		ksm = st_is_ksm(s, a);
		if (ksm)	/* that page alone: its faults are the page's */
			regs.rcx = n = 1;
		faults = stat_read(s->vm->vcpu_stats, s->vm->pf_taken);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		while (run_guest(s->vm, "stress", &regs, 1)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t1.tv_sec >= RUN_TIMEOUT) {
				st_fail(s, "guest: KVM_RUN failed with EFAULT for %d s at page %d",
					RUN_TIMEOUT, a);
				break;
			}
			s->guest_efaults++;
			if (ioctl(s->vm->vcpu, KVM_GET_REGS, &regs))
				setup_fail("stress", "KVM_GET_REGS");
			usleep(1000);
		}
		if (st_stopped(s) && s->failed)
			break;
		if (ksm && stat_read(s->vm->vcpu_stats, s->vm->pf_taken) == (__u64)faults)
			st_fail(s, "guest: wrote onto KSM page %d without a fault", a);
		s->guest_runs++;
		s->guest_written += n;
		s->guest_ksm += ksm;
		for (i = a; i < a + n; i++) {
			want[i] = v;
			s->guest_pages += !done[i];
			done[i] = 1;
		}
		for (i = 0; i < ST_GUEST; i++) {
			w = *page(s->vm, i);
			if (w != want[i]) {
				st_fail(s, "guest: page %d holds %#x, not %#x", i, w, want[i]);
				break;
			}
		}
		s->seconds = seconds_since(&t0);
	} while (!st_stopped(s) && (s->seconds < seconds ||
				    (s->guest_pages < ST_GUEST && s->seconds < seconds + RUN_TIMEOUT)));
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}

/* numa_pte_updates and numa_hint_faults of /proc/vmstat, added; -1 without them */
static long numa_hints(void)
{
	FILE *f = fopen("/proc/vmstat", "re");
	long n = 0, v;
	int found = 0;
	char name[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, "numa_pte_updates") || !strcmp(name, "numa_hint_faults")) {
			n += v;
			found++;
		}
	fclose(f);
	return found == 2 ? n : -1;
}

/* Checks: setup 1, --mmu 1, data 1, fork 1, accessors 1, mutators 1, what happened 1. */
static int stress_mode(const char *want_mmu, int seconds)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	static const char *const want[3] = { "1", "4096", "10" };	/* all of slot 1 a scan */
	struct stress *s = &st;
	long hints, accesses;
	char path[64];
	struct vm vm;
	int i, j;

	_Static_assert(ST_DEV_N + 3 + ST_MUT_N <= sizeof(st_threads) / sizeof(st_threads[0]),
		       "st_threads[] too small");
	printf("1..%d\n", 6 + !!want_mmu);
	vm_create_checked(&vm, want_mmu);
	s->vm = &vm;
	if (access("/sys/devices/system/node/node1", F_OK))
		setup_fail("stress", "needs two NUMA nodes (numa=fake=2)");
	for (i = 0; i <= ST_DEV_N; i++) {
		s->hfd[i] = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
		if (s->hfd[i] < 0)
			setup_fail("stress", "open /dev/hmm_dmirror0");
	}
	if (madvise(vm.data, DATA_SIZE, MADV_HUGEPAGE))
		setup_fail("stress", "MADV_HUGEPAGE");
	/* Generation 0: the guest's first words, and the devices' and the CPU's pages */
	for (i = 0; i < ST_GUEST; i++)
		*page(&vm, i) = 0x47000000;
	for (; i < NPAGES; i++)
		for (j = 0; j < (int)(PAGE / 4); j++)
			page(&vm, i)[j] = i < ST_CPU0 ? 0xd0000000 | (i - ST_GUEST) / ST_DEV << 24 :
					  0xc0000000;
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg.range = (struct uffdio_range) { .start = (unsigned long)vm.data, .len = ST_GUEST * PAGE };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		setup_fail("stress", "userfaultfd write-protect on the guest's pages");
	for (i = 2; i >= 0; i--) {	/* run=1 last */
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		if (read_file(path, ksm_saved[i], sizeof(ksm_saved[i])) || write_file(path, want[i]))
			setup_fail("stress", "KSM knobs");
	}
	/* NUMA hinting, when the mutator turns it on, scans every 10 ms (cleanup() restores) */
	if (read_file(NUMA_DEBUG "scan_delay_ms", numa_scan_saved[0], sizeof(numa_scan_saved[0])) ||
	    read_file(NUMA_DEBUG "scan_period_min_ms", numa_scan_saved[1],
		      sizeof(numa_scan_saved[1])) ||
	    write_file(NUMA_DEBUG "scan_delay_ms", "10") ||
	    write_file(NUMA_DEBUG "scan_period_min_ms", "10"))
		setup_fail("stress", "NUMA balancing's debugfs scan knobs");
	hints = numa_hints();

	thread_start("stress", &st_handler, uffd_handler, &s->u);
	st_handler_on = 1;
	/* Each counted once started: stress_stop() joins those */
	for (i = 0; i < ST_DEV_N; i++, st_nthreads++)
		thread_start("stress", &st_threads[st_nthreads], st_dev_writer, s);
	thread_start("stress", &st_threads[st_nthreads], st_cpu_writer, s);
	st_nthreads++;
	thread_start("stress", &st_threads[st_nthreads], st_dev_reader, s);
	st_nthreads++;
	s->solo = -1;
	thread_start("stress", &st_threads[st_nthreads], st_phases, s);
	st_nthreads++;
	for (i = 0; i < ST_MUT_N; i++, st_nthreads++)
		thread_start("stress", &st_threads[st_nthreads], st_mutate, &st_mutators[i]);
	st_guest(s, seconds);
	stress_stop();
	hints = numa_hints() - hints;
	ksm_restore();
	write_file(NUMA_BALANCING, "0");

	for (i = 0; i < ST_MUT_N; i++)
		printf("# stress,%s,%ld,%.1f/s,%ld refused\n", st_mutators[i].name,
		       st_mutators[i].ops, st_mutators[i].ops / s->seconds,
		       st_mutators[i].refused);
	accesses = s->guest_written + s->dev_pages[0] + s->dev_pages[1] + s->dev_reads * ST_CPU +
		   s->cpu_gens * ST_CPU;
	printf("# stress,accesses,guest %ld runs %ld pages (%ld EFAULT),"
	       "device writes %ld+%ld runs %ld+%ld pages (%ld+%ld refused),"
	       "device reads %ld pages (%ld refused),cpu %ld pages,%.0f page accesses/s in %.1f s\n",
	       s->guest_runs, s->guest_written, s->guest_efaults, s->dev_writes[0],
	       s->dev_writes[1], s->dev_pages[0], s->dev_pages[1], s->dev_refused[0],
	       s->dev_refused[1], s->dev_reads * ST_CPU, s->dev_read_refused,
	       s->cpu_gens * ST_CPU, accesses / s->seconds, s->seconds);
	printf("# stress,seen,ksm merging pages %ld,runs that began on a KSM page: guest %ld "
	       "device %ld+%ld,collapses %ld,uffd-wp faults %ld,numa hinting ptes and faults %ld\n",
	       s->ksm_seen, s->guest_ksm, s->dev_ksm[0], s->dev_ksm[1],
	       s->collapsed, s->u.wp_faults, hints);
	check(!s->bad[0], "stress",
	      "every write landed where its writer wrote it, faulting onto KSM pages; every read current",
	      "%s", s->bad);
	check(!s->fork_bad, "stress", "forked children's pages never changed",
	      "%ld children saw a page change; the first: %s", s->fork_bad, s->fork_what);
	check(s->guest_pages == ST_GUEST && s->dev_writes[0] > 1 && s->dev_writes[1] > 1 &&
	      s->dev_reads > 1 && s->cpu_gens > 1, "stress", "every accessor ran (the guest on each of its pages)",
	      "see the accesses above");
	for (i = 0; i < ST_MUT_N && st_mutators[i].ops > st_mutators[i].refused; i++)
		;
	check(i == ST_MUT_N && !s->u.err && !s->u.other, "stress",
	      "every mutator changed the mappings; the uffd handler got only WP faults",
	      "%s: %ld ops, %ld refused; uffd handler error %s, %ld other messages",
	      i < ST_MUT_N ? st_mutators[i].name : "-", i < ST_MUT_N ? st_mutators[i].ops : 0,
	      i < ST_MUT_N ? st_mutators[i].refused : 0, s->u.err ? strerror(s->u.err) : "none",
	      s->u.other);
	check(s->collapsed > 0 && s->u.wp_faults > 0 && s->ksm_seen > 0 && hints > 0 &&
	      s->guest_ksm + s->dev_ksm[0] + s->dev_ksm[1] > 0 &&
	      s->dev_refused[0] + s->dev_refused[1] > 0,
	      "stress", "collapses, KSM merges and writes onto them, uffd-wp faults, "
	      "NUMA hints and refused writes happened", "see the counts above");
	for (i = 0; i <= ST_DEV_N; i++)
		close(s->hfd[i]);
	close(uffd);
	uffd = -1;
	vm_destroy(&vm);
	return nfail ? 1 : 0;
}

/*
 * --oom: a real OOM kill of a process with a nested guest and a device
 * mirror (the HMM test driver), in a memory cgroup of OOM_MAX bytes, so
 * that only the victim's memory runs out and filling it is quick.
 *
 * The OOM reaper unmaps a victim's memory OOM_REAPER_DELAY (2 s,
 * mm/oom_kill.c:696) after the kill, unless the victim's exit has torn
 * the mm down by then (exit_mmap() sets MMF_OOM_SKIP, mm/mmap.c:1953).  A
 * device fault of the test driver holds mmget() on the mirror's mm
 * (dmirror_fault(), lib/test_hmm.c:565); with HMM_HOLD_FAULTS it waits
 * after hmm_range_fault(), with no mmap lock, until HMM_HOLD_RELEASE or
 * 10 s (lib/test_hmm.c:2192).  So a child of the victim that reads a held
 * window through a mirror of the victim's keeps the mm for the reaper.
 * The test gets the victim's files (pidfd_getfd(); a mirror is bound to
 * the mm of its open): the mirror of slot 1, the second mirror, which
 * holds the fault and has no entries, and the VM's stats.  It sees that
 * the fault is still held when the reaper is done, and then lets it go.
 * KVM stays subscribed until exit_mmap(): the vCPU's kvm_run mapping
 * holds the vCPU file, and that the VM.
 *
 * The reaper sets MMF_UNSTABLE (mm/oom_kill.c:528) and tells the
 * listeners MMU_NOTIFY_OOM, GONE, for each vma (mm/oom_kill.c:548), not
 * blockable (mmu_notifier_invalidate_range_start_nonblock(),
 * include/linux/mmu_notifier.h:880).  A later fault in the mm gets
 * VM_FAULT_SIGBUS (check_stable_address_space(), include/linux/oom.h:93,
 * from mm/memory.c:4784 for the private anonymous slot), which
 * hmm_range_fault() returns as -EFAULT (mm/hmm.c:80).
 */
#define OOM_CG		"/tmp/cg"
#define OOM_GROUP	OOM_CG "/kvm-oom"
#define OOM_MAX		(64UL << 20)
#define OOM_PREFILL	(32UL << 20)	/* before the hold: the kill follows it quickly */
#define OOM_CHUNK	(4UL << 20)
#define OOM_HOLD_PAGES	16
#define OOM_SETUP_ERR	200		/* the victim's child: not a read's errno */

static pid_t oom_victim_pid;
static int oom_cg_mounted, oom_cg_had_memory;
static int oom_fd = -1, oom_hold_fd = -1;	/* the victim's two mirrors */

/*
 * The kernel log (klogctl) into @buf, NUL-terminated; what follows the
 * last @mark in it, or NULL.
 */
static char *oom_klog(char *buf, int size, const char *mark)
{
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size - 1);
	char *p, *last = NULL;

	buf[n > 0 ? n : 0] = 0;
	for (p = strstr(buf, mark); p; p = strstr(p + 1, mark))
		last = p;
	return last ? last + strlen(mark) : NULL;
}

static int oom_count(const char *s, const char *what)
{
	int n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

static long oom_cg_read(const char *file)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), OOM_GROUP "/%s", file);
	return read_file(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

/* A line of the cgroup's memory.stat (bytes), or -1. */
static long oom_cg_stat(const char *name)
{
	FILE *f = fopen(OOM_GROUP "/memory.stat", "re");
	char key[64];
	long v, found = -1;

	while (f && fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* Leave nothing behind: the victim and its child, the cgroup, the mount. */
static void oom_cleanup(void)
{
	int i;

	if (!oom_cg_mounted || getpid() != main_pid)
		return;
	/* The victim's child waits in the held fault: let it go. */
	if (oom_hold_fd >= 0)
		ioctl(oom_hold_fd, HMM_HOLD_RELEASE);
	write_file(OOM_GROUP "/cgroup.kill", "1");
	while (waitpid(-1, NULL, 0) > 0)	/* the victim and its child, reparented here */
		;
	/* A killed task leaves its cgroup a moment after its parent reaps it. */
	for (i = 0; i < 100 && rmdir(OOM_GROUP) && errno == EBUSY; i++)
		usleep(20000);
	if (!oom_cg_had_memory)
		write_file(OOM_CG "/cgroup.subtree_control", "-memory");
	umount(OOM_CG);
	rmdir(OOM_CG);
	oom_cg_mounted = 0;
}

/* What the victim tells the test when it is set up. */
struct oom_ready {
	unsigned long slot;	/* slot 1's address */
	int fd;			/* the mirror of slot 1 (fds for pidfd_getfd()) */
	int hold_fd;		/* the mirror of nothing, whose fault is held */
	int stats_fd;		/* the VM's stats */
};

/* @n bytes of anonymous memory, written; not given to children. */
static int oom_fill(unsigned long n)
{
	unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || madvise(p, n, MADV_DONTFORK))
		return -1;
	memset(p, 0x5a, n);
	return 0;
}

/* Why the victim exited: its exit codes, below. */
static const char *oom_victim_step(int code)
{
	static const char *const steps[] = {
		[10] = "oom_score_adj or joining the cgroup",
		[11] = "opening the device, the window, the buffer",
		[12] = "fork", [13] = "the guest's pass", [14] = "the mirror's read",
		[15] = "memory before the hold", [16] = "HMM_HOLD_ARM",
		[17] = "HMM_HOLD_STATUS", [18] = "the fault was not held in 5 s",
		[19] = "talking to the test", [30] = "mmap while filling",
	};

	return code >= 0 && code < (int)(sizeof(steps) / sizeof(steps[0])) && steps[code] ?
	       steps[code] : "a setup step (see the victim's stderr)";
}

/*
 * The victim, in the cgroup: a child that will hold a device fault of a
 * second mirror, a VM whose guest has written slot 1, the first mirror's
 * entries for slot 1, memory; then the hold, the slot's address and the
 * fds to the test, and memory until the OOM killer's SIGKILL.  Its TAP
 * output would be the test's: stdout goes to stderr.
 */
static void __attribute__((noreturn)) oom_victim(int to_test, int from_test)
{
	struct hmm_hold hold = { .npages = OOM_HOLD_PAGES, .flags = HMM_HOLD_FAULTS };
	struct hmm_dmirror_cmd cmd = { .npages = OOM_HOLD_PAGES };
	struct oom_ready ready;
	unsigned char *h;
	int go[2], i;
	struct vm vm;
	char c = 0;

	dup2(2, 1);
	if (write_file("/proc/self/oom_score_adj", "1000") ||
	    write_file(OOM_GROUP "/cgroup.procs", "0"))
		_exit(10);
	hmm_fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	ready.hold_fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	h = mmap(NULL, OOM_HOLD_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	cmd.ptr = (unsigned long)malloc(OOM_HOLD_PAGES * PAGE);
	if (hmm_fd < 0 || ready.hold_fd < 0 || h == MAP_FAILED || !cmd.ptr || pipe(go))
		_exit(11);
	/* First, so that it shares none of the memory below. */
	i = fork();
	if (i < 0)
		_exit(12);
	if (!i) {
		/* Reads H through the victim's second mirror when told: held there. */
		close(to_test);
		close(from_test);
		close(go[1]);
		if (write_file("/proc/self/oom_score_adj", "-1000") ||
		    read(go[0], &c, 1) != 1)
			_exit(OOM_SETUP_ERR);
		cmd.addr = (unsigned long)h;
		/* 0, or the read's errno */
		_exit(ioctl(ready.hold_fd, HMM_DMIRROR_READ, &cmd) ? errno : 0);
	}
	close(go[0]);
	vm_create(&vm, PTE_RW);
	if (pass(&vm, NULL, W_GPA, 1, next_val(), 0))	/* SPTEs over slot 1 */
		_exit(13);
	cmd.addr = (unsigned long)vm.data;
	cmd.ptr = (unsigned long)malloc(DATA_SIZE);
	cmd.npages = NPAGES;
	if (!cmd.ptr || ioctl(hmm_fd, HMM_DMIRROR_READ, &cmd))	/* the mirror's entries */
		_exit(14);
	if (oom_fill(OOM_PREFILL))
		_exit(15);
	hold.addr = (unsigned long)h;
	if (ioctl(ready.hold_fd, HMM_HOLD_ARM, &hold) || write(go[1], &c, 1) != 1)
		_exit(16);
	for (i = 0; i < 500 && !hold.holding; i++) {
		usleep(10000);
		if (ioctl(ready.hold_fd, HMM_HOLD_STATUS, &hold))
			_exit(17);
	}
	if (!hold.holding)
		_exit(18);
	ready.slot = (unsigned long)vm.data;
	ready.fd = hmm_fd;
	ready.stats_fd = vm.vm_stats;
	if (write(to_test, &ready, sizeof(ready)) != sizeof(ready) ||
	    read(from_test, &c, 1) != 1)
		_exit(19);
	for (;;)
		if (oom_fill(OOM_CHUNK))
			_exit(30);
}

/* The pid of the OOM reaper's kthread, or -1. */
static int oom_reaper_pid(void)
{
	char path[64], comm[32];
	int pid;

	for (pid = 2; pid < 1000; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (!read_file(path, comm, sizeof(comm)) && !strcmp(comm, "oom_reaper"))
			return pid;
	}
	return -1;
}

/* The trace since trace_clear(): the filters let only the reaper's lines of slot 1 in. */
struct oom_trace {
	long mn, oom, blockable, kvm, kvm_free;
	char first[1024];
};

static void oom_trace(struct oom_trace *t)
{
	FILE *f = fopen(TRACING "/trace", "re");
	char line[1024];

	memset(t, 0, sizeof(*t));
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "mmu_notifier_invalidate_range_start:")) {
			t->mn++;
			t->oom += !!strstr(line, " event=oom ");
			t->blockable += !!strstr(line, "blockable");
			if (!t->first[0])
				snprintf(t->first, sizeof(t->first), "%s", line);
		} else if (strstr(line, "kvm_unmap_hva_range:")) {
			t->kvm++;
			t->kvm_free += !!strstr(line, "action free");
		}
	}
	if (f)
		fclose(f);
}

/*
 * Checks: --mmu 1, setup 1, the kill 1, the reaper 1, its invalidations 2,
 * the memory 1, the mirror 1, the end 1.
 */
static int oom_mode(const char *want_mmu)
{
	static char klog[1 << 20];
	long peak, after_reap, pt_reap, anon_end = -1, pt_end = -1, mem_end = -1;
	__u64 sptes_before = 0, sptes_after = 0;
	int stats_fd = -1;
	off_t sptes;
	char c = 1, mark[64], want[96], filter[160], buf[64], *log, *reaped = NULL;
	struct hmm_dmirror_counters mc = { 0 };
	struct hmm_dmirror_cmd cmd = { 0 };
	struct oom_ready ready = { 0 };
	struct hmm_hold st = { 0 };
	int to_test[2], from_test[2], status = 0, i, n, err, pidfd, reaper;
	struct timespec t_hold, t_kill;
	struct oom_trace tr;
	pid_t victim;

	printf("1..%d\n", 8 + !!want_mmu);
	if (want_mmu)
		check(!strcmp(mmu, want_mmu), NULL, want_mmu[0] == 't' ?
		      "the MMU is TDP (--mmu=tdp)" : "the MMU is shadow paging (--mmu=shadow)",
		      "the running MMU is %s", mmu);
	atexit(oom_cleanup);
	if (mkdir(OOM_CG, 0755) && errno != EEXIST)
		setup_fail("oom", "mkdir " OOM_CG);
	if (mount("none", OOM_CG, "cgroup2", 0, NULL))
		setup_fail("oom", "mounting cgroup2 (CONFIG_MEMCG) on " OOM_CG);
	oom_cg_mounted = 1;
	oom_cg_had_memory = !read_file(OOM_CG "/cgroup.subtree_control", buf, sizeof(buf)) &&
			    strstr(buf, "memory");
	rmdir(OOM_GROUP);	/* an earlier run's */
	snprintf(want, sizeof(want), "%lu", OOM_MAX);
	if (write_file(OOM_CG "/cgroup.subtree_control", "+memory") ||
	    mkdir(OOM_GROUP, 0755) || write_file(OOM_GROUP "/memory.max", want))
		setup_fail("oom", "a memory cgroup of 64 MiB");
	reaper = oom_reaper_pid();
	if (reaper < 0) {
		errno = ESRCH;
		setup_fail("oom", "the oom_reaper kthread");
	}
	/* The victim's child is reparented here when the victim dies. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    write_file("/proc/self/oom_score_adj", "-1000") ||
	    pipe2(to_test, O_CLOEXEC) || pipe2(from_test, O_CLOEXEC))
		setup_fail("oom", "subreaper, oom_score_adj, pipes");
	oom_victim_pid = fork();
	if (oom_victim_pid < 0)
		setup_fail("oom", "fork");
	if (!oom_victim_pid) {
		close(to_test[0]);
		close(from_test[1]);
		oom_victim(to_test[1], from_test[0]);
	}
	victim = oom_victim_pid;
	close(to_test[1]);
	close(from_test[0]);
	pidfd = syscall(SYS_pidfd_open, victim, 0);
	if (read(to_test[0], &ready, sizeof(ready)) == sizeof(ready) && pidfd >= 0) {
		oom_fd = syscall(SYS_pidfd_getfd, pidfd, ready.fd, 0);
		oom_hold_fd = syscall(SYS_pidfd_getfd, pidfd, ready.hold_fd, 0);
		stats_fd = syscall(SYS_pidfd_getfd, pidfd, ready.stats_fd, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	clock_gettime(CLOCK_MONOTONIC, &t_hold);	/* the hold began just before */
	if (oom_fd < 0 || oom_hold_fd < 0 || stats_fd < 0 ||
	    ioctl(oom_hold_fd, HMM_HOLD_STATUS, &st) || st.holding != 1 ||
	    ioctl(oom_fd, HMM_DMIRROR_COUNTERS, &mc)) {	/* read and cleared */
		if (waitpid(victim, &status, WNOHANG) == victim && WIFEXITED(status))
			printf("# the victim exited with %d: %s\n", WEXITSTATUS(status),
			       oom_victim_step(WEXITSTATUS(status)));
		errno = EPROTO;
		setup_fail("oom", "the victim's VM, mirror and held device fault");
	}
	sptes = stat_offset(stats_fd, "pages_4k");
	sptes_before = stat_read(stats_fd, sptes);
	check(1, "oom", "the victim's VM, mirror and held device fault are set up", NULL);
	/* The reaper's invalidations of slot 1 and KVM's callbacks for them. */
	snprintf(filter, sizeof(filter), "common_pid == %d && start < %#lx && end > %#lx",
		 reaper, ready.slot + DATA_SIZE, ready.slot);
	if (write_file(EV_MN "/filter", filter) || write_file(EV_MN "/enable", "1") ||
	    write_file(EV_HVA "/filter", filter) || write_file(EV_HVA "/enable", "1"))
		setup_fail("oom", "tracing the reaper's invalidations of slot 1");
	tracing = 1;
	trace_clear();
	/* The kernel log is read from here on. */
	snprintf(mark, sizeof(mark), "kvm-oom: victim %d fills the cgroup", victim);
	if (write_file("/dev/kmsg", mark) || write(from_test[1], &c, 1) != 1)
		setup_fail("oom", "marking the kernel log, telling the victim to go on");
	for (i = 0; i < 600 && waitpid(victim, &status, WNOHANG) != victim; i++)
		usleep(100000);
	oom_victim_pid = i < 600 ? 0 : victim;
	clock_gettime(CLOCK_MONOTONIC, &t_kill);
	snprintf(want, sizeof(want), "Memory cgroup out of memory: Killed process %d ", victim);
	for (i = 0, log = NULL; i < 50; i++) {
		log = oom_klog(klog, sizeof(klog), mark);
		if (log && strstr(log, want))
			break;
		usleep(100000);
	}
	check(!oom_victim_pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	      log && strstr(log, want) && oom_count(log, "invoked oom-killer") == 1 &&
	      !strstr(log, "Out of memory:"), "oom",
	      "the memory cgroup's OOM killer killed the victim, and nothing else",
	      "status %#x after %.1f s; \"%s\" %sin the kernel log; %d OOM reports; %s",
	      status, seconds_since(&t_hold), want, log && strstr(log, want) ? "" : "not ",
	      log ? oom_count(log, "invoked oom-killer") : 0,
	      log && strstr(log, "Out of memory:") ? "a system-wide OOM" : "no system-wide OOM");
	/* The reaper: 2 s after the kill; the victim's child holds the mm until released. */
	snprintf(want, sizeof(want), "oom_reaper: reaped process %d ", victim);
	for (i = 0; i < 300 && !reaped; i++) {
		log = oom_klog(klog, sizeof(klog), mark);
		reaped = log ? strstr(log, want) : NULL;
		if (!reaped)
			usleep(50000);
	}
	after_reap = oom_cg_read("memory.current");
	peak = oom_cg_read("memory.peak");
	pt_reap = oom_cg_stat("pagetables");
	sptes_after = stat_read(stats_fd, sptes);
	if (ioctl(oom_hold_fd, HMM_HOLD_STATUS, &st))	/* after them: the mm was there */
		setup_fail("oom", "HMM_HOLD_STATUS");
	if (reaped)
		printf("# %.*s\n", (int)strcspn(reaped, "\n"), reaped);
	check(reaped && st.holding == 1 && !st.timeouts && log &&
	      !strstr(log, "unable to reap"), "oom",
	      "the OOM reaper reaped the victim's mm while it was still held",
	      "%s %.1f s after the kill, %.1f s after the hold began; device faults held now "
	      "%llu, holds timed out %llu", reaped ? "reaped" : "not reaped",
	      seconds_since(&t_kill), seconds_since(&t_hold), (unsigned long long)st.holding,
	      (unsigned long long)st.timeouts);
	oom_trace(&tr);
	if (tr.first[0])
		printf("# %s", tr.first);
	printf("# oom,%s,invalidations %ld,event=oom %ld,blockable %ld,kvm callbacks %ld,action free %ld,"
	       "4k sptes %llu before the kill and %llu after the reaper\n",
	       mmu, tr.mn, tr.oom, tr.blockable, tr.kvm, tr.kvm_free,
	       (unsigned long long)sptes_before, (unsigned long long)sptes_after);
	check(tr.mn > 0 && tr.oom == tr.mn && !tr.blockable, "oom",
	      "the reaper's invalidations of slot 1 say event=oom and are not blockable",
	      "%ld invalidations, %ld event=oom, %ld blockable", tr.mn, tr.oom, tr.blockable);
	/*
	 * The guest wrote every page of slot 1: NPAGES 4k SPTEs (the slot
	 * is MADV_NOHUGEPAGE), which the reaper's callback must zap; slot 0
	 * is shared memory, which the reaper leaves.
	 */
	check(tr.kvm > 0 && tr.kvm_free == tr.kvm && sptes_before >= sptes_after + NPAGES,
	      "oom", "KVM's callbacks ran in the reaper, with action free, and zapped slot 1's SPTEs",
	      "%ld callbacks, %ld with action free; 4k SPTEs %llu, then %llu", tr.kvm,
	      tr.kvm_free, (unsigned long long)sptes_before, (unsigned long long)sptes_after);
	printf("# oom,%s,memory.peak %ld kB,memory.current after the reaper %ld kB,pagetables %ld kB\n",
	       mmu, peak >> 10, after_reap >> 10, pt_reap >> 10);
	check(peak >= (long)OOM_MAX - (4L << 20) && after_reap >= 0 &&
	      after_reap <= peak - (long)OOM_PREFILL && pt_reap > 0 && st.holding == 1, "oom",
	      "the reaper gave the victim's memory back before its mm was torn down",
	      "memory.peak %ld, memory.current %ld, page tables %ld, device faults held %llu",
	      peak, after_reap, pt_reap, (unsigned long long)st.holding);
	/*
	 * The mirror freed its entries of slot 1 when the reaper told it, and
	 * a fault in the reaped mm fails, though the mm is still there: a
	 * device read of slot 1 gets nothing.
	 */
	if (ioctl(oom_fd, HMM_DMIRROR_COUNTERS, &mc))
		setup_fail("oom", "HMM_DMIRROR_COUNTERS");
	cmd.addr = ready.slot;
	cmd.ptr = (unsigned long)malloc(DATA_SIZE);
	cmd.npages = NPAGES;
	n = cmd.ptr ? ioctl(oom_fd, HMM_DMIRROR_READ, &cmd) : -1;
	err = errno;
	/* and of its last page alone: a read stops at the first page it faults */
	cmd.addr = ready.slot + DATA_SIZE - PAGE;
	cmd.npages = 1;
	i = cmd.ptr ? ioctl(oom_fd, HMM_DMIRROR_READ, &cmd) : -1;
	if (!i)
		err = 0;
	else if (errno != EFAULT)
		err = errno;
	if (ioctl(oom_hold_fd, HMM_HOLD_STATUS, &st))	/* the mm was there all along */
		setup_fail("oom", "HMM_HOLD_STATUS");
	printf("# oom,%s,mirror entries freed %llu,dropped %llu,kept %llu; device reads of slot 1 and of its last page after the reaper: %s\n",
	       mmu, (unsigned long long)mc.freed, (unsigned long long)mc.dropped,
	       (unsigned long long)mc.kept, n && i ? strerror(err) : "read");
	check(mc.freed == NPAGES && !mc.dropped && n && i && err == EFAULT && st.holding == 1,
	      "oom", "the mirror freed its entries of slot 1, and device reads of it then fail (EFAULT)",
	      "device faults held %llu", (unsigned long long)st.holding);
	free((void *)(unsigned long)cmd.ptr);
	/*
	 * Let the held fault go.  It ends with EBUSY: the reaper's
	 * invalidation of the window moved the second mirror's sequence
	 * (mmu_interval_read_retry()), though that mirror has no entries, and
	 * the driver's retries time out after HMM_RANGE_DEFAULT_TIMEOUT (1 s,
	 * lib/test_hmm.c:516); a 0 would be a fault that installed pages the
	 * reaper freed.  Its mmput() then tears the mm down.
	 */
	if (ioctl(oom_hold_fd, HMM_HOLD_RELEASE))
		setup_fail("oom", "HMM_HOLD_RELEASE");
	for (i = 0; i < 300 && (n = waitpid(-1, &status, WNOHANG)) <= 0; i++)
		usleep(50000);
	/* The last references to the mirrors and the VM */
	close(oom_fd);
	close(oom_hold_fd);
	close(stats_fd);
	oom_fd = oom_hold_fd = -1;
	/* memcg statistics are flushed lazily (up to 2 s) */
	for (i = 0; i < 100; i++) {
		pt_end = oom_cg_stat("pagetables");
		anon_end = oom_cg_stat("anon");
		mem_end = oom_cg_read("memory.current");
		if (!pt_end && !anon_end && mem_end >= 0 && mem_end < (1L << 20))
			break;
		usleep(50000);
	}
	printf("# oom,%s,the held read: %s,at the end: pagetables %ld kB,anon %ld kB,memory.current %ld kB\n",
	       mmu, n > 0 && WIFEXITED(status) ? (WEXITSTATUS(status) ?
	       strerror(WEXITSTATUS(status)) : "read") : "did not exit", pt_end >> 10,
	       anon_end >> 10, mem_end >> 10);
	check(n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == EBUSY && !pt_end && !anon_end &&
	      mem_end >= 0 && mem_end < (1L << 20), "oom",
	      "the held device read ends with EBUSY once let go, and the mm and the VM are freed",
	      "the victim's child: status %#x; pagetables %ld, anon %ld, memory.current %ld",
	      status, pt_end, anon_end, mem_end);
	return nfail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *want_mmu = NULL;
	int i, inflight_mode = 0, isolation_mode = 0, oom = 0;
	long stress_seconds = 0;
	char *end;
	struct vm vm;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-keep")) {
			expect_keep = 1;
		} else if (!strcmp(argv[i], "--isolation")) {
			isolation_mode = 1;
		} else if (!strncmp(argv[i], "--stress=", 9)) {
			stress_seconds = strtol(argv[i] + 9, &end, 10);
			/* 3 s at least: the time for every mutator to act (the last check) */
			if (*end || stress_seconds < 3 || stress_seconds > 3600) {
				fprintf(stderr, "%s: --stress=SECONDS takes 3 to 3600\n", argv[0]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--oom")) {
			oom = 1;
		} else if (!strcmp(argv[i], "--inflight")) {
			inflight_mode = 1;
		} else if (!strcmp(argv[i], "--expect-tracked")) {
			expect_tracked = 1;
		} else if (!strcmp(argv[i], "--mmu=tdp") || !strcmp(argv[i], "--mmu=shadow")) {
			want_mmu = argv[i] + 6;
		} else {
			fprintf(stderr, "usage: %s [--mmu=tdp|shadow] [--expect-keep | --inflight [--expect-tracked] | --isolation | --stress=SECONDS | --oom]\n",
				argv[0]);
			return 2;
		}
	}
	main_pid = getpid();
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = watchdog }, NULL);
	printf("TAP version 13\n");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV)) {
		printf("1..1\nok 1 kvm-mmu-notifier # SKIP no /dev/kvm\n");
		return 0;
	}
	if (inflight_mode || isolation_mode || stress_seconds || oom) {
		if (kvm_fd < 0)
			setup_fail(NULL, "open /dev/kvm");
		mmu = running_mmu();
		atexit(cleanup);
		if (!read_file(NUMA_BALANCING, numa_saved, sizeof(numa_saved)) &&
		    write_file(NUMA_BALANCING, "0"))
			setup_fail(NULL, "writing 0 to " NUMA_BALANCING);
		if (stress_seconds)
			return stress_mode(want_mmu, stress_seconds);
		if (oom)
			return oom_mode(want_mmu);
		return inflight_mode ? inflight(want_mmu) : isolation(want_mmu);
	}
	/*
	 * Checks: setup 1, mprotect 2+1, soft-dirty 3, uffd-wp 2, KSM 3,
	 * DONTNEED 1, sync_spte 3; --mmu 1; --expect-keep 2+1+2+2+3+1, and
	 * the traced action of each of the 7 reports.
	 */
	printf("1..%d\n", 16 + !!want_mmu + 18 * expect_keep);
	if (kvm_fd < 0)
		setup_fail(NULL, "open /dev/kvm");
	mmu = running_mmu();
	atexit(cleanup);
	/*
	 * NUMA hinting would zap SPTEs of slot 1 at random times (DROP on any
	 * kernel) and blur the counts: off while the test runs.
	 */
	if (!read_file(NUMA_BALANCING, numa_saved, sizeof(numa_saved)) &&
	    write_file(NUMA_BALANCING, "0"))
		setup_fail(NULL, "writing 0 to " NUMA_BALANCING);

	vm_create_checked(&vm, want_mmu);
	trace_setup(&vm);
	op_mprotect(&vm);
	op_soft_dirty(&vm);
	op_uffd_wp(&vm);
	op_ksm(&vm);
	op_dontneed(&vm);
	vm_destroy(&vm);

	vm_create(&vm, PTE_RO);
	trace_setup(&vm);
	op_sync_spte(&vm);
	vm_destroy(&vm);
	return nfail ? 1 : 0;
}
