#!/bin/sh
# check-format.sh SRCDIR: every C file is formatted as .clang-format says
# (clang-format --dry-run --Werror); prints what differs.  Fix with
#   git ls-files '*.c' '*.h' | xargs clang-format -i
cd "${1:-.}" || exit 2
if ! command -v clang-format >/dev/null; then
    echo "SKIP: clang-format is not installed (make deps installs it)"
    exit 77
fi
if [ -d .git ]; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find lib vmm devices firmware tests guest-images scripts -name '*.[ch]')
fi
# shellcheck disable=SC2086
if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
    echo "$out" | head -n 60
    echo "format: the files above differ from .clang-format"
    exit 1
fi
echo "format: $(echo "$files" | wc -l) files as .clang-format says ($(clang-format --version))"
