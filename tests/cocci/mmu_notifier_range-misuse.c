// SPDX-License-Identifier: GPL-2.0
/*
 * One of each misuse that scripts/coccinelle/api/mmu_notifier_range.cocci
 * reports, and uses it must leave alone.  scripts/check-series.sh compares
 * its report with mmu_notifier_range-misuse.expected.
 */
#include <linux/mmu_notifier.h>

static bool reads_a_bit(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_SAME_PAGE;	/* read */
}

static bool uses_the_helpers(const struct mmu_notifier_range *range)
{
	return mmu_notifier_range_blockable(range) &&
	       mmu_notifier_range_keeps_page(range);
}

static void sets_flags(struct mmu_notifier_range *range)
{
	range->flags |= MMU_NOTIFIER_RANGE_KEEP_READ;		/* write */
}

static void inits(struct mm_struct *mm)
{
	struct mmu_notifier_range range;

	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR,
				MMU_NOTIFIER_RANGE_BLOCKABLE,	/* blockable */
				NULL, mm, 0, 4096);
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR,
				MMU_NOTIFIER_RANGE_WRPROTECT, NULL, mm, 0, 4096);
	range.flags = 0;					/* write */
}
