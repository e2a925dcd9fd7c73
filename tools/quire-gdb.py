# gdb helpers for Quire, loaded by tools/debug.sh.
#
# quire-loader-symbols: OVMF loads the UEFI loader wherever it likes; the loader prints
# "quire-loader: image base 0x..." on serial. This command reads that line from the serial log
# and loads the loader's ELF (linked at 0, as gnu-efi links it) at that offset, so breakpoints on
# the loader's functions work by name.
import os
import re

import gdb


class LoaderSymbols(gdb.Command):
    """Load the Quire loader's symbols at the image base it reported on serial."""

    def __init__(self):
        super().__init__("quire-loader-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        log = os.environ.get("QUIRE_SERIAL_LOG", "build/debug-serial.log")
        so = os.environ.get("QUIRE_LOADER_SO", "build/bootloader/loader.so")
        try:
            with open(log, "rb") as f:
                text = f.read().decode("ascii", "replace")
        except OSError as e:
            raise gdb.GdbError(f"cannot read the serial log {log}: {e}")
        bases = re.findall(r"quire-loader: image base (0x[0-9a-fA-F]+)", text)
        if not bases:
            raise gdb.GdbError("the loader has not printed its image base yet: continue, "
                               "interrupt once it has started, and try again")
        gdb.execute(f"add-symbol-file {so} -o {bases[-1]}")


LoaderSymbols()
