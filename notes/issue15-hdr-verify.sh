#!/bin/bash
# How patch 1 (x86 tlbflush.h without mmu_notifier.h) was checked on 2026-12-06 (notes/issue15-time.md).
# 1. candidates, in work/linux at the series HEAD:
ids_mn='\bmmu_notifier|\bmmu_interval_|\bMMU_NOTIFY_|mm_has_notifiers|\b(ptep|pmdp|pudp)_[a-z_]*_notify\b'
ids_it='\binterval_tree_(insert|remove|iter_first|iter_next|span)|struct interval_tree_node|INTERVAL_TREE_DEFINE'
{ git grep -lE "$ids_mn" -- '*.c' '*.h'; git grep -lE "$ids_it" -- '*.c' '*.h'; } | grep -v '^tools/\|^Documentation/\|^scripts/\|^samples/\|^arch/[^x]' | sort -u > /tmp/cands.txt
while read f; do
  case $f in *.c) echo $f;; *.h) b=$(basename $f); grep -rl "#include \"$b\"\|#include <.*/$b>\|#include <$b>" --include=*.c $(dirname $f) 2>/dev/null | head -3;; esac
done < /tmp/cands.txt | sort -u > /tmp/cfiles.txt
git grep -lE '\bmmap_(read|write)_(un)?lock|mmap_assert_' -- '*.c' | grep -v '^tools/\|^arch/[^x]\|^samples/' | while read f; do grep -qE '#include <linux/(mm|mmap_lock)\.h>' $f || echo $f; done > /tmp/mmaplock.txt
sort -u /tmp/cfiles.txt /tmp/mmaplock.txt > /tmp/all.txt
# 2. an allmodconfig build of those objects, with and without the patch:
set -u
export PATH=/usr/bin:/bin:$PATH CCACHE_DIR=/work/ccache-dev CCACHE_DEPEND=1
L=/work/main/work/hdrtree B=/work/main/work/hdr-allmod
git -C $L checkout -q --detach series-hdr
mkdir -p $B
cat > $B/allmod.frag <<'FR'
CONFIG_KASAN=n
CONFIG_KCSAN=n
CONFIG_UBSAN=n
CONFIG_GCOV_KERNEL=n
CONFIG_KCOV=n
CONFIG_KMSAN=n
CONFIG_DEBUG_INFO_NONE=y
CONFIG_WERROR=n
CONFIG_COMPILE_TEST=y
FR
date
make -s -C $L O=$B CC="ccache gcc" KCONFIG_ALLCONFIG=$B/allmod.frag allmodconfig > $B/config.log 2>&1 || { echo config failed; tail $B/config.log; exit 1; }
make -s -C $L O=$B CC="ccache gcc" -j2 prepare > $B/prepare.log 2>&1 || { echo prepare failed; tail $B/prepare.log; exit 1; }
date
objs=$(sed 's/\.c$/.o/' /tmp/all.txt | sed 's|^drivers/gpu/drm/amd/amdkfd/|drivers/gpu/drm/amd/amdgpu/../amdkfd/|' | tr '\n' ' ')
make -k -C $L O=$B CC="ccache gcc" -j2 $objs > $B/objs.log 2>&1
echo "make exit $?"
date
grep -E 'error:|No rule to make' $B/objs.log | sort | uniq | head -60
echo "built: $(for o in $objs; do [ -f $B/$o ] && echo $o; done | wc -l) of $(echo $objs | wc -w)"
