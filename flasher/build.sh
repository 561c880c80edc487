#!/usr/bin/env bash
# Builds the on-chip flasher images into flasher/bin (one per variant) with Debian's
# gcc-arm-none-eabi. Reproducible: no timestamps, no paths, no debug info in the .bin files.
# Each image is linked at two addresses; the build fails unless both give the same bytes,
# which proves it is position-independent (the host may load it at any free RAM address).
#   flasher/build.sh            build into flasher/bin
#   flasher/build.sh --check    build into a temporary folder and compare with flasher/bin
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc=${CC:-arm-none-eabi-gcc}
objcopy=${OBJCOPY:-arm-none-eabi-objcopy}
out="$here/bin"
check=0
if [[ "${1:-}" == "--check" ]]; then check=1; fi
command -v "$cc" >/dev/null || { echo "build.sh: $cc not found (apt-get install gcc-arm-none-eabi)" >&2; exit 127; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ $check == 1 ]]; then out="$work/out"; fi
mkdir -p "$out"

# variant  cpu             id
variants="f1:cortex-m3:1 f0:cortex-m0:2 f4:cortex-m4:3 g0:cortex-m0plus:4"
cflags=(-Os -mthumb -nostdlib -ffreestanding -fno-builtin -fno-jump-tables -fno-common
        -fno-pic -ffunction-sections -Wall -Wextra -Werror -g0 -std=c11)
for v in $variants; do
  IFS=: read -r name cpu id <<<"$v"
  upper=$(echo "$name" | tr a-z A-Z)
  defs=(-DVARIANT_"$upper" -DVARIANT_ID="$id" -DPROTO_VERSION=1 -DFLASHER_VERSION=1)
  for addr in 0x20000000 0x20001000; do
    (cd "$here/src" && "$cc" -mcpu="$cpu" "${cflags[@]}" "${defs[@]}" \
        -Wl,--defsym=LOAD_ADDRESS="$addr" -Wl,-T,flasher.ld -Wl,--gc-sections -Wl,--build-id=none \
        -o "$work/$name-$addr.elf" start.S flasher.c)
    "$objcopy" -O binary -j .text "$work/$name-$addr.elf" "$work/$name-$addr.bin"
  done
  if ! cmp -s "$work/$name-0x20000000.bin" "$work/$name-0x20001000.bin"; then
    echo "build.sh: $name is not position-independent (bytes depend on the link address)" >&2
    exit 1
  fi
  cp "$work/$name-0x20000000.bin" "$out/flasher-$name.bin"
  chmod 644 "$out/flasher-$name.bin"
  echo "flasher-$name.bin: $(stat -c %s "$out/flasher-$name.bin") bytes"
done

if [[ $check == 1 ]]; then
  status=0
  for f in "$out"/*.bin; do
    if ! cmp -s "$f" "$here/bin/$(basename "$f")"; then
      echo "build.sh --check: $(basename "$f") differs from the committed flasher/bin copy" >&2
      status=1
    fi
  done
  [[ $status == 0 ]] && echo "build.sh --check: committed images match the sources"
  exit $status
fi
