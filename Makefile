# husk: the two commands the README promises, plus a few helpers.
#   make demo    boot the default guest (directly on hardware KVM, otherwise
#                inside the nested test host)
#   make check   every test suite; ends with "N passed, N failed, N skipped"
BUILD ?= build
ASAN_BUILD ?= build-asan
BUILD_DEPS = meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev \
	libslirp-dev libfdt-dev check
GUEST_DEPS = busybox-static cpio gzip lz4 kmod e2fsprogs qemu-system-x86
TEST_DEPS = acpica-tools

.PHONY: all deps build guest demo check unit clean

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS) $(GUEST_DEPS) $(TEST_DEPS)

$(BUILD)/build.ninja:
	@scripts/install-deps.sh $(BUILD_DEPS)
	meson setup $(BUILD) >/dev/null

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

guest: deps
	@guest-images/default-guest.sh

demo: deps build
	@scripts/demo.sh $(BUILD)/husk

unit: deps
	@scripts/run-checks.sh --unit-only

check: deps
	@scripts/run-checks.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
