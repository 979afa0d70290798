# Contextual MMU-notifier series for Linux 6.12: the verbs of the harness.
# Every target is a small script in scripts/; see README.md.
S := scripts

.PHONY: help run test stress bench loop deps tree export kernel guest boot check bisect clean distclean have-tree newest-base

help:
	@echo "make run     build the patched kernel, boot it in QEMU, show what it does (FULL=1: all its output)"
	@echo "make test    every test: series checks, build, boot, suites (CI runs this)"
	@echo "make stress  the data and race suites on the test kernel and a KASAN kernel (longer)"
	@echo "make bench   base vs series: what invalidations cost a mirror, and the core"
	@echo "make loop    base vs series: how often one KVM selftest fails in RUNS runs (not a test)"
	@echo
	@echo "make deps    install the Debian packages the harness needs"
	@echo "make tree    work/linux: Debian's 6.12 source (tag base) + patches/"
	@echo "make export  write base..HEAD of work/linux to patches/"
	@echo "make kernel  build work/linux as it is into work/build (tinyconfig + config/test.config)"
	@echo "make guest   static test programs and the initramfs"
	@echo "make boot    rebuild what changed, boot, run the suites, show the verdict"
	@echo "make check   checkpatch, sparse, W=1, kernel-doc on the series"
	@echo "make bisect  build every patch of the series on its own"
	@echo "make newest-base  apply and test the series on the newest 6.12 Debian serves (work/newest)"
	@echo "make clean   remove what the harness made in work/, but work/linux"
	@echo "make distclean  remove work/, work/linux included (not while it holds unexported work)"

# run shows a summary (scripts/summary.py), the failures and the verdict;
# the TAP stays in work/out/results.log.  FULL=1: the TAP and the whole
# verdict too; SHOW=1: the kernel log as the guest runs.
run: deps tree
	@$(S)/kernel.sh
	@$(S)/guest.sh
	@$(S)/boot.sh suite
	@$(S)/show.sh --summary

test:
	@$(S)/test.sh

# Not part of make test (README: when to run it).
stress: have-tree
	@$(S)/stress.sh

bench: have-tree
	@$(S)/bench.sh

# Not part of make test: a rate, for a test-bed fault that is not the
# series' (README); RUNS, TEST and TCG_THREAD are its knobs (scripts/loop.sh).
loop: have-tree
	@$(S)/loop.sh

newest-base:
	@$(S)/newest-base.sh

deps:
	@$(S)/deps.sh
tree: deps
	@$(S)/tree.sh
export:
	@$(S)/export.sh
# kernel, guest and boot build what work/linux holds now (commits not yet
# exported included); only "tree" resets it to patches/.
kernel: have-tree
	@$(S)/kernel.sh
guest: kernel
	@$(S)/guest.sh
boot: guest
	@$(S)/boot.sh suite
	@$(S)/show.sh
have-tree:
	@[ -d work/linux/.git ] || $(S)/tree.sh
check:
	@$(S)/check-series.sh
bisect:
	@$(S)/bisect.sh

# clean: everything the harness made in work/ but work/linux (which may
# hold unexported work); distclean: work/ entirely (refuses while work/linux
# holds work not in patches/; FORCE=1 discards it).
clean:
	@$(S)/clean.sh
distclean:
	@$(S)/clean.sh all
