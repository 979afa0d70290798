#!/bin/bash
# usage: hdrcheck.sh  -> prints files that lose mmu_notifier.h / interval_tree.h and use them
B=/work/ci/work/build L=/work/main/work/linux
P() { gcc -E -H -nostdinc $1 -I$L/arch/x86/include -I$B/arch/x86/include/generated -I$L/include -I$B/include -I$L/arch/x86/include/uapi -I$B/arch/x86/include/generated/uapi -I$L/include/uapi -I$B/include/generated/uapi -include $L/include/linux/compiler-version.h -include $L/include/linux/kconfig.h -include $L/include/linux/compiler_types.h -D__KERNEL__ -std=gnu11 -fno-PIE -m64 -mcmodel=kernel -I$(dirname $2) -I$L/$(dirname $2) -c $L/$2 -o /dev/null 2>&1 | grep '^\.' | sed 's/^\.* //' | sed "s|$L/||" | sort -u; }
cd $L
ids_mn='\bmmu_notifier|\bmmu_interval_|\bMMU_NOTIFY_|mm_has_notifiers|\b(ptep|pmdp|pudp)_[a-z_]*_notify\b'
ids_it='\binterval_tree_(insert|remove|iter_first|iter_next|span)|struct interval_tree_node'
{ git grep -lE "$ids_mn" -- '*.c' '*.h'; git grep -lE "$ids_it" -- '*.c' '*.h'; } | grep -v '^tools/\|^Documentation/\|^scripts/\|^arch/[^x]' | sort -u > /tmp/cands.txt
while read f; do
  case $f in *.c) echo $f;; *.h) b=$(basename $f); grep -rl "#include \"$b\"\|#include <.*/$b>" --include=*.c $(dirname $f) 2>/dev/null | head -3;; esac
done < /tmp/cands.txt | sort -u > /tmp/cfiles.txt
wc -l /tmp/cands.txt /tmp/cfiles.txt >&2
while read c; do
  P "" $c > /tmp/a.$$; P "-I/tmp/ovl" $c > /tmp/b.$$
  lost=$(comm -23 /tmp/a.$$ /tmp/b.$$ | grep -E 'mmu_notifier.h|interval_tree.h' | tr '\n' ' ')
  [ -n "$lost" ] && echo "$c: loses $lost"
done < /tmp/cfiles.txt
