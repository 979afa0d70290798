#!/bin/bash
# Compile every C file that uses a <linux/mmu_notifier.h> or <linux/interval_tree.h>
# identifier (or sits beside a header that does), in an allmodconfig build without
# sanitizers, on the tree with the tlbflush patch (branch hdr).
set -u
export PATH=/usr/bin:/bin:$PATH CCACHE_DIR=$HOME/.cache/ccache CCACHE_DEPEND=1
L=/work/main/work/hdrtree B=/work/main/work/hdr-allmod
[ -d $L ] || git -C /work/main/work/linux worktree add -q --detach $L hdr
git -C $L checkout -q --detach hdr
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
grep -E '^CONFIG_(KASAN|UBSAN|GCOV_KERNEL|DRM_AMDGPU|DRM_I915|DRM_XE|IOMMUFD|FUSE_DAX|VIRTIO_IOMMU)=' $B/.config
make -s -C $L O=$B CC="ccache gcc" -j2 prepare > $B/prepare.log 2>&1 || { echo prepare failed; tail $B/prepare.log; exit 1; }
date
objs=$(sed 's/\.c$/.o/' /tmp/cfiles.txt | sed 's|^drivers/gpu/drm/amd/amdkfd/|drivers/gpu/drm/amd/amdgpu/../amdkfd/|' | tr '\n' ' ')
make -k -C $L O=$B CC="ccache gcc" -j2 $objs > $B/objs.log 2>&1
echo "make exit $?"
date
grep -E 'error:|No rule to make' $B/objs.log | sort | uniq | head -40
echo "built: $(for o in $objs; do [ -f $B/$o ] && echo $o; done | wc -l) of $(echo $objs | wc -w)"
