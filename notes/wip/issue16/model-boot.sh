#!/bin/bash
# Test kernel of gpu-model, a guest with hmm-tests and mmu_notifier_actions
# only, and one boot (run under /work/.heavy.lock).
set -e
T=/work/main/work/gpumodel
B=/work/main/work/gpumodel-build
O=/work/main/work/gpumodel-build-out
date -u +"start %T"
TREE=$T BUILD=$B OUT=$O NO_LOCK=1 /work/main/scripts/kernel.sh
date -u +"kernel %T"
MM=$T/tools/testing/selftests/mm
CF="-fmacro-prefix-map=$MM/= -static -O2 -Wall -U_FORTIFY_SOURCE -isystem $B/hdr/include -I$T -I$T/tools/include/uapi -I$T/tools/testing/selftests"
mkdir -p $O/bin
gcc $CF -o $O/bin/mmu_notifier_actions $MM/mmu_notifier_actions.c $MM/vm_util.c -lrt -lpthread -lm
gcc $CF -o $O/bin/hmm-tests $MM/hmm-tests.c $MM/vm_util.c -lrt -lpthread -lm
root=$O/initramfs
rm -rf $root
mkdir -p $root/{bin,dev,proc,sys,tmp,tests}
cp /bin/busybox $root/bin/busybox
cp /work/main/tests/guest/init $root/init
cp /work/main/tests/guest/kselftest-run $root/tests/kselftest-run
printf 'hmm-tests\t\t600\thmm-tests\nmmu_notifier_actions\t600\tmmu_notifier_actions\n' >$root/tests/suites
cp $O/bin/* $root/tests/
(cd $root && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >$O/initramfs.cpio.gz
date -u +"guest %T"
TREE=$T BUILD=$B OUT=$O NO_LOCK=1 TAG=userptr /work/main/scripts/boot.sh
date -u +"done %T"
