// SPDX-License-Identifier: GPL-2.0
// Pass the vma to mmu_notifier_range_init() and mmu_notifier_range_init_owner()
// (a new fourth argument, before the mm), at every call site.
//
// Which vma, in order of preference:
//  1. the call's mm argument is V->vm_mm: V;
//  2. the enclosing function has a struct vm_area_struct * parameter: it;
//  3. the enclosing function has a struct vm_area_struct * local: it;
//  4. otherwise NULL.
// The result is mechanical; every binding is reviewed by hand afterwards
// (see the commit that follows the conversion).
//
// spatch --sp-file mmu_notifier_range_vma.cocci --in-place --no-show-diff \
//        --dir mm --dir kernel/events fs/proc/task_mmu.c

virtual patch

@ r1 @
expression R, E, F, S, T, O;
identifier V;
@@
(
 mmu_notifier_range_init(R, E, F,
+	V,
 	V->vm_mm, S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
+	V,
 	V->vm_mm, S, T, O)
)

@ r2 @
identifier FN, V;
expression R, E, F, M, S, T, O;
@@
 FN(..., struct vm_area_struct *V, ...)
 {
 <...
(
 mmu_notifier_range_init(R, E, F,
+	V,
 	M, S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
+	V,
 	M, S, T, O)
)
 ...>
 }

@ r3 @
identifier FN, V;
expression R, E, F, M, S, T, O;
@@
 FN(...)
 {
 ...
 struct vm_area_struct *V;
 <...
(
 mmu_notifier_range_init(R, E, F,
+	V,
 	M, S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
+	V,
 	M, S, T, O)
)
 ...>
 }

@ r4 @
expression R, E, F, M, S, T, O;
@@
(
 mmu_notifier_range_init(R, E, F,
+	NULL,
 	M, S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
+	NULL,
 	M, S, T, O)
)
