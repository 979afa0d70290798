// SPDX-License-Identifier: GPL-2.0
/*
 * Sparse canary (scripts/check-series.sh): compiled with the touched files,
 * the way the harness runs sparse (C=2 W=1).  sparse must report the
 * dereference of a __user pointer below ("dereference of noderef
 * expression"); if it does not, sparse is not running and the sparse check
 * fails instead of finding nothing.
 */
#include <linux/compiler.h>

int mnt_sparse_canary(int __user *p);

int mnt_sparse_canary(int __user *p)
{
	return *p;
}
