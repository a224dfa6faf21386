# husk: the two commands the README promises, plus a few helpers.
#   make demo    boot the default guest (directly on hardware KVM, otherwise
#                inside the nested test host)
#   make check   every test suite; ends with "N passed, N failed, N skipped"
BUILD ?= build
ASAN_BUILD ?= build-asan
BUILD_DEPS = meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev \
	libslirp-dev libfdt-dev liburing-dev libseccomp-dev libjson-glib-dev check
GUEST_DEPS = busybox-static cpio gzip lz4 kmod e2fsprogs qemu-system-x86
TEST_DEPS = acpica-tools device-tree-compiler qemu-system-arm qemu-user-static clang libclang-rt-14-dev runc crun clang-format qemu-utils
KERNEL_DEPS = build-essential bc flex bison libelf-dev lz4 xz-utils

.PHONY: all deps build build-arm64 guest small-kernel demo check unit fuzz soak clean

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS) $(GUEST_DEPS) $(TEST_DEPS)

$(BUILD)/build.ninja:
	@scripts/install-deps.sh $(BUILD_DEPS)
	meson setup $(BUILD) >/dev/null

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# husk for aarch64, cross-compiled here (static, with every helper) into
# build-arm64/ (docs/arm64.md).
build-arm64:
	@scripts/build-arm64.sh build-arm64

guest: deps
	@guest-images/default-guest.sh

# The small guest kernel (fast-boot profile), built once from Debian's
# linux-source-6.1 and cached; prints its directory.
small-kernel:
	@scripts/install-deps.sh $(KERNEL_DEPS)
	@guest-images/small-kernel.sh

demo: deps build
	@scripts/demo.sh $(BUILD)/husk

unit: deps
	@scripts/run-checks.sh --unit-only

check: deps
	@scripts/run-checks.sh

# make fuzz FUZZ_SECONDS=3600: longer runs, from the seeds in
# tests/fuzz/seeds and a corpus kept in ~/.cache/husk/fuzz-corpus (outside
# the repository; each run says where).  Crash inputs land in
# build-fuzz/tests/fuzz-artifacts; once fixed they go to tests/fuzz/regress.
fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true \
		-Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	meson configure build-fuzz -Dfuzz_seconds=$${FUZZ_SECONDS:-300}
	FUZZ_KEEP_CORPUS=1 meson test -C build-fuzz --suite fuzz --num-processes 1 \
		--timeout-multiplier 0 --print-errorlogs

# make soak KILLS=500: the SIGKILL durability scenario many times over
# (tests/bench/soak.sh); prints the records lost.
soak: deps build
	@tests/bench/soak.sh $${KILLS:-500}

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-arm64
