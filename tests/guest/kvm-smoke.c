// SPDX-License-Identifier: GPL-2.0
/*
 * KVM smoke test for the test bed: a real-mode guest writes one byte to
 * each of 16 pages, reports on an I/O port and halts.  The host checks
 * the exits and that every write reached guest memory.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE	0x100000UL
#define DATA_BASE	0x10000UL
#define NPAGES		16
#define PORT		0x10
#define MAGIC		0x42

/*
 *   mov byte [0], 0x5a ; mov ax, ds ; add ax, 0x100 ; mov ds, ax
 *   loop (back to start, CX = NPAGES) ; mov al, MAGIC ; out PORT, al ; hlt
 */
static const unsigned char code[] = {
	0xc6, 0x06, 0x00, 0x00, 0x5a,
	0x8c, 0xd8,
	0x05, 0x00, 0x01,
	0x8e, 0xd8,
	0xe2, 0xf2,
	0xb0, MAGIC,
	0xe6, PORT,
	0xf4,
};

static int ntest;
static int vcpu_fd = -1;

static void bail(const char *what);

/* A KVM_RUN that does not come back is a failure with the guest's state. */
static void watchdog(int sig)
{
	(void)sig;
}

static void run_vcpu(struct kvm_run *run, const char *what)
{
	struct kvm_regs regs;

	alarm(30);
	if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR && ioctl(vcpu_fd, KVM_GET_REGS, &regs) == 0)
			printf("# guest stuck in %s: rip %#llx rcx %#llx\n", what,
			       regs.rip, regs.rcx);
		bail(what);
	}
	alarm(0);
	(void)run;
}

static void result(int ok, const char *what, const char *detail)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ++ntest, what,
	       detail ? " # " : "", detail ? detail : "");
}

static void bail(const char *what)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s: %s", what, strerror(errno));
	printf("Bail out! %s\n", buf);
	exit(1);
}

int main(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, i, ok;
	unsigned char *mem;
	long run_size;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = watchdog }, NULL);
	printf("TAP version 13\n1..4\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		bail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		bail("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		bail("mmap");
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		bail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		bail("KVM_CREATE_VCPU");
	vcpu_fd = vcpu;
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		bail("mmap kvm_run");
	result(1, "kvm: VM and vCPU created", NULL);

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		bail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = DATA_BASE;
	sregs.ds.selector = DATA_BASE >> 4;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		bail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rcx = NPAGES;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		bail("KVM_SET_REGS");

	run_vcpu(run, "KVM_RUN (writing pages)");
	ok = run->exit_reason == KVM_EXIT_IO &&
	     run->io.direction == KVM_EXIT_IO_OUT && run->io.port == PORT &&
	     *((unsigned char *)run + run->io.data_offset) == MAGIC;
	result(ok, "kvm: guest reports on its I/O port", NULL);

	for (i = 0, ok = 1; i < NPAGES; i++)
		ok &= mem[DATA_BASE + i * 4096] == 0x5a;
	result(ok, "kvm: guest wrote every page", NULL);

	run_vcpu(run, "KVM_RUN (to hlt)");
	result(run->exit_reason == KVM_EXIT_HLT, "kvm: guest halts", NULL);
	return 0;
}
