# Contextual MMU-notifier series for Linux 6.12: the verbs of the harness.
# Every target is a small script in scripts/; see README.md.
S := scripts

.PHONY: help run test deps tree export kernel guest boot check bisect clean

help:
	@echo "make run     build the patched kernel, boot it in QEMU, show what it does"
	@echo "make test    every test: series checks, build, boot, suites (CI runs this)"
	@echo
	@echo "make deps    install the Debian packages the harness needs"
	@echo "make tree    work/linux: Debian's 6.12 source (tag base) + patches/"
	@echo "make export  write base..HEAD of work/linux to patches/"
	@echo "make kernel  configure and build work/build (tinyconfig + config/test.config)"
	@echo "make guest   static test programs and the initramfs"
	@echo "make boot    boot the built kernel and run the suites (no rebuild)"
	@echo "make check   checkpatch, sparse, W=1, kernel-doc on the series"
	@echo "make bisect  build every patch of the series on its own"

run: deps tree kernel guest
	@SHOW=1 $(S)/boot.sh suite
	@$(S)/show.sh

test:
	@$(S)/test.sh

deps:
	@$(S)/deps.sh
tree: deps
	@$(S)/tree.sh
export:
	@$(S)/export.sh
kernel: tree
	@$(S)/kernel.sh
guest: kernel
	@$(S)/guest.sh
boot:
	@$(S)/boot.sh suite
	@$(S)/show.sh
check:
	@$(S)/check-series.sh
bisect:
	@$(S)/bisect.sh

clean:
	rm -rf work/out work/build work/base-build
