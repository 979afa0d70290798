// SPDX-License-Identifier: GPL-2.0
// Pass the vma to mmu_notifier_range_init() and mmu_notifier_range_init_owner()
// (a new fourth argument, before the mm), at every call site.
//
// Which vma, in order of preference:
//  1. the call's mm argument is X->vm_mm: X;
//  2. the enclosing function has two struct vm_area_struct * parameters
//     or locals (fork, mremap, uffd move: a source and a destination):
//     NULL, the rule does not guess;
//  3. the enclosing function has one struct vm_area_struct * parameter: it;
//  4. the enclosing function has one struct vm_area_struct * local: it;
//  5. otherwise NULL.
// The result is mechanical; every binding is reviewed by hand afterwards
// (see the commit that follows the conversion).
//
// spatch --sp-file mmu_notifier_range_vma.cocci --in-place --no-show-diff \
//        --dir mm --dir kernel/events fs/proc/task_mmu.c

virtual patch

@ r1 @
expression R, E, F, S, T, O, V;
@@
(
 mmu_notifier_range_init(R, E, F,
-	V->vm_mm,
+	V, V->vm_mm,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	V->vm_mm,
+	V, V->vm_mm,
 	S, T, O)
)

@ r2 @
identifier FN, V1, V2;
expression R, E, F, M, S, T, O;
@@
 FN(..., struct vm_area_struct *V1, ..., struct vm_area_struct *V2, ...)
 {
 <...
(
 mmu_notifier_range_init(R, E, F,
-	M,
+	NULL, M,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	M,
+	NULL, M,
 	S, T, O)
)
 ...>
 }

@ r2l @
identifier FN, V1, V2;
expression R, E, F, M, S, T, O;
@@
 FN(...)
 {
 ...
 struct vm_area_struct *V1;
 ...
 struct vm_area_struct *V2;
 <...
(
 mmu_notifier_range_init(R, E, F,
-	M,
+	NULL, M,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	M,
+	NULL, M,
 	S, T, O)
)
 ...>
 }

@ r3 @
identifier FN, V;
expression R, E, F, M, S, T, O;
@@
 FN(..., struct vm_area_struct *V, ...)
 {
 <...
(
 mmu_notifier_range_init(R, E, F,
-	M,
+	V, M,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	M,
+	V, M,
 	S, T, O)
)
 ...>
 }

@ r4 @
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
-	M,
+	V, M,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	M,
+	V, M,
 	S, T, O)
)
 ...>
 }

@ r5 @
expression R, E, F, M, S, T, O;
@@
(
 mmu_notifier_range_init(R, E, F,
-	M,
+	NULL, M,
 	S, T)
|
 mmu_notifier_range_init_owner(R, E, F,
-	M,
+	NULL, M,
 	S, T, O)
)
