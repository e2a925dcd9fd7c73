#!/usr/bin/env bash
# Builds Quire's disk image without root or loop devices: a GPT disk with one EFI system partition
# (FAT32, from 1 MiB to the end) holding
#   \EFI\BOOT\BOOTX64.EFI   the loader, which OVMF starts by itself
#   \quire\kernel.elf       the kernel
#   \quire\initrd           the initrd (cpio newc), when --initrd is given
#   \quire\cmdline          the kernel command line, when --cmdline is given
# Usage: mkimage.sh --out IMG --loader EFI --kernel ELF [--initrd CPIO] [--cmdline TEXT]
#                   [--size-mib N]
set -euo pipefail

out= loader= kernel= initrd= cmdline= have_cmdline=0 size_mib=64
while [[ $# -gt 0 ]]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--loader) loader=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--cmdline) cmdline=$2; have_cmdline=1; shift 2 ;;
	--size-mib) size_mib=$2; shift 2 ;;
	*) echo "mkimage: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ -n "$out" && -n "$loader" && -n "$kernel" ]] || {
	echo "usage: mkimage.sh --out IMG --loader EFI --kernel ELF [--initrd CPIO] [--cmdline TEXT]" >&2
	exit 2
}

tmp="$out.tmp"
rm -f "$tmp"
truncate -s "${size_mib}M" "$tmp"
# One ESP from sector 2048 (1 MiB) to the end, less the backup GPT's 33 sectors.
printf 'label: gpt\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"\n' |
	sfdisk -q "$tmp"
esp_sectors=$(($((size_mib * 2048)) - 2048 - 33))
export MTOOLS_SKIP_CHECK=1
part="$tmp@@1M"
mformat -i "$part" -F -v QUIRE -T "$esp_sectors" -h 64 -s 32 ::
mmd -i "$part" ::/EFI ::/EFI/BOOT ::/quire
mcopy -i "$part" "$loader" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$part" "$kernel" ::/quire/kernel.elf
if [[ -n "$initrd" ]]; then
	mcopy -i "$part" "$initrd" ::/quire/initrd
fi
if [[ $have_cmdline -eq 1 ]]; then
	printf '%s\n' "$cmdline" | mcopy -i "$part" - ::/quire/cmdline
fi
mv "$tmp" "$out"
