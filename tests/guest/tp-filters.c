// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to the tracepoints the series adds or changes
 * (mmu_notifier:mmu_notifier_invalidate_range_start and _end, and
 * kvm:kvm_unmap_hva_range): filter strings that name their fields wrongly,
 * leave an expression half-written, compare a number with a name or a
 * glob, overflow, or are too long.  Each write must be refused, with the
 * parse error the tracing core gives for it, and must leave the event
 * unfiltered: the kernel swaps in a filter that does not parse, disabled,
 * in place of the good one set before.  Good filters on the series'
 * fields must be accepted and select exactly the invalidations they name,
 * also after the bad ones; and another thread sets good and bad filters
 * in a loop as the events fire, each accepted or refused as it should be.
 * The mm core sends invalidations, and traces them, only for an mm with a
 * listener: the HMM test driver's mirror is that listener here.  The
 * kernel log is scanned by the harness (tests/verdict.py): no report of
 * any kind may follow.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TRACING		"/sys/kernel/tracing/"
#define MN		TRACING "events/mmu_notifier/"
#define EV_START	MN "mmu_notifier_invalidate_range_start/"
#define EV_END		MN "mmu_notifier_invalidate_range_end/"
#define EV_KVM		TRACING "events/kvm/kvm_unmap_hva_range/"
#define PAGE		4096UL
#define LOOP_WRITES	40

static int ntest, nfail;

static void check(int ok, const char *what, const char *why)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ntest, what, ok ? "" : " # ", ok ? "" : why);
}

/* Writes @s to @path in one write(): 0, or the errno (also left in errno). */
static int put(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	errno = err;
	return err;
}

static int puts0(const char *path, const char *s)
{
	return put(path, s, strlen(s));
}

/* A step the test needs: its failure ends the test (the plan is then short). */
static void setup(int ok, const char *what)
{
	if (!ok) {
		printf("not ok %d setup: %s # %s\n", ++ntest, what, strerror(errno));
		exit(1);
	}
}

/* The events off and their filters cleared, however the test ends. */
static void cleanup(void)
{
	static const char *const ev[] = { EV_START, EV_END, EV_KVM };
	char path[128];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%senable", ev[i]);
		puts0(path, "0");
		snprintf(path, sizeof(path), "%sfilter", ev[i]);
		puts0(path, "0");
	}
}

/*
 * Whether a bad filter was refused as it should be: with EINVAL, or the
 * parser's own -1 (EPERM: an operator with no operand, a ")" with no "(")
 * or -2 (ENOENT: a "(" never closed), which kernel/trace/
 * trace_events_filter.c returns as they are; and the filter file then
 * shows @error, the parse error (NULL: a filter of a page or more, refused
 * before it is read).  Prints both.
 */
static int refused(int err, const char *path, const char *error)
{
	static char text[2 * PAGE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	char *p;

	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	for (p = text; *p; p++)
		if (*p == '\n')
			*p = '|';
	p = strlen(text) > 120 ? text + strlen(text) - 120 : text;
	printf("# %s: %s%s\n", err ? strerror(err) : "accepted", p == text ? "" : "...", p);
	return (err == EINVAL || err == EPERM || err == ENOENT) && (!error || strstr(text, error));
}

/* Two 2-page mappings: @a is the one the filters name. */
static char *a, *b;

/* The trace's lines of the start event for @a, and for other ranges. */
static void trace_count(long *mine, long *other)
{
	FILE *f = fopen(TRACING "trace", "re");
	char line[1024], start[64];

	snprintf(start, sizeof(start), " start=0x%lx ", (unsigned long)a);
	*mine = *other = 0;
	setup(!!f, "open " TRACING "trace");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, "mmu_notifier_invalidate_range_start:"))
			continue;
		if (strstr(line, start)) {
			if (!(*mine)++)
				printf("# %s", line);
		} else {
			(*other)++;
		}
	}
	fclose(f);
}

static void mprotect_both(void)
{
	setup(!mprotect(a, 2 * PAGE, PROT_READ) && !mprotect(a, 2 * PAGE, PROT_READ | PROT_WRITE) &&
	      !mprotect(b, 2 * PAGE, PROT_READ) && !mprotect(b, 2 * PAGE, PROT_READ | PROT_WRITE),
	      "mprotect");
}

/* With @filter set on the start event (NULL: as it is), a's invalidations and others'. */
static void traced(const char *filter, long *mine, long *other)
{
	setup(!puts0(TRACING "trace", ""), "clear the trace");
	if (filter)
		setup(!puts0(EV_START "filter", filter), filter);
	mprotect_both();
	trace_count(mine, other);
}

/* Good and bad filters on the end event, LOOP_WRITES of them, while the events fire. */
static int loop_done;
static long loop_wrong;

static void *filter_loop(void *arg)
{
	static const char *const f[] = { "start >= 0x1000", "event ==", "flags & 1", "((" };
	int i, err;

	(void)arg;
	for (i = 0; i < LOOP_WRITES; i++) {
		err = puts0(EV_END "filter", f[i % 4]);
		loop_wrong += i % 2 ? !err : !!err;	/* the odd ones are bad */
	}
	__atomic_store_n(&loop_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int main(void)
{
	static const struct { const char *ev, *s, *error; } bad[] = {
		{ EV_START, "event ==", "Invalid value" },
		{ EV_START, "event == protection_vma", "Invalid value" },
		{ EV_START, "event ~ \"prot*\"", "Expecting numeric field" },
		{ EV_START, "event == -", "Illegal integer value" },
		{ EV_START, "flags &", "Invalid value" },
		{ EV_START, "flags & 0x1 ||| 1", "Error" },
		{ EV_START, "has_vma == 1 &&", "Meaningless filter expression" },
		{ EV_START, "vm_flags & 0xzz", "Illegal integer value" },
		{ EV_START, "vm_start > 0x1 )", "Too few '('" },
		{ EV_START, "( ( ( vm_end < 1", "Too many '('" },
		{ EV_START, "start == 99999999999999999999999", "Illegal integer value" },
		{ EV_START, "nosuchfield == 1", "Field not found" },
		{ EV_START, "\xff\xfe\x01", "Field not found" },
		{ EV_END, "event == unmap", "Invalid value" },
		{ EV_END, "end <", "Invalid value" },
		{ EV_KVM, "action == wrprotect", "Invalid value" },
		{ EV_KVM, "action ==", "Invalid value" },
		{ EV_KVM, "action > 1 &&", "Meaningless filter expression" },
		{ EV_KVM, "vm_start == 0", "Field not found" },
	};
	int nbad = sizeof(bad) / sizeof(bad[0]), i, j, err;
	char *big, msg[160], filter[256], shown[48];
	long mine, other, mprotects = 0;
	pthread_t t;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("TAP version 13\n1..%d\n", nbad + 10);
	/* a and b between PROT_NONE guards: each its own vma, whatever mprotect does */
	a = mmap(NULL, 6 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	setup(a != MAP_FAILED, "mmap");
	a += PAGE;
	b = a + 3 * PAGE;
	setup(!mprotect(a, 2 * PAGE, PROT_READ | PROT_WRITE) &&
	      !mprotect(b, 2 * PAGE, PROT_READ | PROT_WRITE), "mprotect");
	memset(a, 1, 2 * PAGE);
	memset(b, 1, 2 * PAGE);
	setup(!access(EV_START "filter", W_OK) && !access(EV_END "filter", W_OK) &&
	      !access(EV_KVM "filter", W_OK), "the series' tracepoints (tracefs at " TRACING ")");
	/* The listener: kept open to the end, so that the mm has one. */
	setup(open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC) >= 0,
	      "open /dev/hmm_dmirror0 (the listener)");
	atexit(cleanup);
	setup(!puts0(EV_START "enable", "1"), "enable the start event");

	/* Unfiltered: both mappings' invalidations are traced. */
	traced(NULL, &mine, &other);
	snprintf(msg, sizeof(msg), "%ld of a, %ld others", mine, other);
	check(mine >= 1 && other >= 1, "unfiltered, the start event traces both mprotects", msg);

	/* A good filter on the range and the vma fields selects a's alone. */
	snprintf(filter, sizeof(filter),
		 "start == 0x%lx && has_vma == 1 && vm_start == 0x%lx && vm_end == 0x%lx",
		 (unsigned long)a, (unsigned long)a, (unsigned long)a + 2 * PAGE);
	traced(filter, &mine, &other);
	snprintf(msg, sizeof(msg), "%ld of a, %ld others", mine, other);
	check(mine >= 1 && !other, "a good filter on start and the vma fields selects a's alone",
	      msg);
	/* KVM's action field, which the series adds, takes a filter. */
	err = puts0(EV_KVM "filter", "action == 1 || action >= 2");
	check(!err, "a filter on kvm_unmap_hva_range's action is accepted",
	      err ? strerror(err) : "");

	for (i = 0; i < nbad; i++) {
		snprintf(filter, sizeof(filter), "%sfilter", bad[i].ev);
		err = puts0(filter, bad[i].s);
		for (j = 0; bad[i].s[j] && j < (int)sizeof(shown) - 1; j++)
			shown[j] = isprint((unsigned char)bad[i].s[j]) ? bad[i].s[j] : '?';
		shown[j] = 0;
		snprintf(msg, sizeof(msg), "filter \"%s\" on %s: %s", shown,
			 bad[i].ev + strlen(TRACING "events/"), err ? strerror(err) : "accepted");
		check(refused(err, filter, bad[i].error), msg, bad[i].error);
	}
	/* One page or more: refused before it is parsed; one byte less: parsed. */
	big = malloc(PAGE + 1);
	setup(!!big, "malloc");
	memset(big, '(', PAGE);
	err = put(EV_START "filter", big, PAGE);
	snprintf(msg, sizeof(msg), "a filter of %lu bytes: %s", PAGE, err ? strerror(err) : "accepted");
	check(err == EINVAL, msg, "not EINVAL");
	err = put(EV_START "filter", big, PAGE - 1);
	snprintf(msg, sizeof(msg), "a filter of %lu parentheses: %s", PAGE - 1,
		 err ? strerror(err) : "accepted");
	check(refused(err, EV_START "filter", NULL), msg, "accepted");
	free(big);

	/* The good filter set before the bad ones is gone: unfiltered. */
	traced(NULL, &mine, &other);
	snprintf(msg, sizeof(msg), "%ld of a, %ld others", mine, other);
	check(mine >= 1 && other >= 1,
	      "after a filter that does not parse, the event is unfiltered (not the good one before)",
	      msg);
	/* A good filter that no invalidation matches. */
	traced("start == 0x1 && event == 0", &mine, &other);
	snprintf(msg, sizeof(msg), "%ld of a, %ld others", mine, other);
	check(!mine && !other, "a filter that matches nothing traces nothing", msg);

	/* Good and bad filters set in a loop on the end event while events fire. */
	setup(!puts0(EV_END "enable", "1"), "enable the end event");
	errno = pthread_create(&t, NULL, filter_loop, NULL);
	setup(!errno, "pthread_create");
	while (!__atomic_load_n(&loop_done, __ATOMIC_ACQUIRE)) {
		mprotect_both();
		mprotects++;
	}
	pthread_join(t, NULL);
	printf("# tp-filters,filter writes while the events fired,%d,mprotect pairs,%ld\n",
	       LOOP_WRITES, mprotects);
	snprintf(msg, sizeof(msg), "%ld of %d writes accepted or refused wrongly", loop_wrong,
		 LOOP_WRITES);
	check(!loop_wrong, "good filters accepted and bad ones refused while the events fire", msg);
	check(!puts0(EV_END "filter", "0") && !puts0(EV_START "filter", "0") &&
	      !puts0(EV_KVM "filter", "0"), "each filter cleared with \"0\"", strerror(errno));
	traced(NULL, &mine, &other);
	snprintf(msg, sizeof(msg), "%ld of a, %ld others", mine, other);
	check(mine >= 1 && other >= 1, "after the loop, the events trace everything again", msg);
	return nfail ? 1 : 0;
}
