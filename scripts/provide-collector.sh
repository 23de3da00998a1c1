#!/usr/bin/env bash
# Builds merak-collector (collector/: the eBPF programs and their loader) and prints the path of
# the binary. Rebuilt only when its sources change: the build lives in
# .tools/collector/<sha256 of the sources, 16 hex>/, and .tools/collector/merak-collector links
# to the newest one (where the agent looks when MERAK_COLLECTOR is not set).
#
# Needs clang (BPF target), bpftool (gen skeleton, BTF dump), libbpf-dev and a C compiler
# (Debian: clang llvm bpftool libbpf-dev libelf-dev gcc; see .ci/apt-packages.txt). The
# programs are CO-RE: built against this kernel's BTF (/sys/kernel/btf/vmlinux), libbpf
# relocates them at load for the kernel they run on.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=collector
sources=("$src/merak_collector.bpf.c" "$src/merak_collector.c" "$src/merak_collector.h" "scripts/provide-collector.sh")
hash="$(cat "${sources[@]}" | sha256sum | cut -c1-16)"
out=".tools/collector/$hash"
bin="$out/merak-collector"

if [ ! -x "$bin" ]; then
  for tool in clang bpftool cc; do
    command -v "$tool" >/dev/null || { echo "provide-collector: $tool is required (apt-get install clang llvm bpftool libbpf-dev libelf-dev gcc)" >&2; exit 1; }
  done
  [ -r /usr/include/bpf/libbpf.h ] || { echo "provide-collector: libbpf headers missing (apt-get install libbpf-dev)" >&2; exit 1; }
  [ -r /sys/kernel/btf/vmlinux ] || { echo "provide-collector: /sys/kernel/btf/vmlinux missing: the kernel must export BTF (CONFIG_DEBUG_INFO_BTF)" >&2; exit 1; }
  case "$(uname -m)" in
    x86_64) arch=x86 ;;
    aarch64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  mkdir -p .tools/collector
  tmp="$(mktemp -d .tools/collector/build.XXXXXX)"
  trap 'rm -rf "$tmp"' EXIT
  bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$tmp/vmlinux.h"
  clang -g -O2 -target bpf "-D__TARGET_ARCH_$arch" -I"$tmp" -I"$src" -Wall -Werror \
    -c "$src/merak_collector.bpf.c" -o "$tmp/merak_collector.bpf.o"
  # BTF-only debug info is kept (libbpf needs it); DWARF is not.
  llvm-strip -g "$tmp/merak_collector.bpf.o" 2>/dev/null || true
  bpftool gen skeleton "$tmp/merak_collector.bpf.o" name merak_collector_bpf >"$tmp/merak_collector.skel.h"
  cc -O2 -g -Wall -Wextra -Werror -I"$tmp" -I"$src" "$src/merak_collector.c" -o "$tmp/merak-collector" -lbpf -lelf -lz
  mkdir -p "$out"
  mv "$tmp/merak-collector" "$bin"
fi
ln -sfn "$hash/merak-collector" .tools/collector/merak-collector
echo "$(pwd)/$bin"
