/*
 * The loader's voice: one line per step on COM1, prefixed "quire-loader: "; warnings
 * ("quire-loader: warning: ") and errors ("quire-loader: error: ") on the firmware console
 * (ConOut) as well. docs/boot-protocol.md lists the messages.
 */
#pragma once

#include <efi.h>

/* Finds COM1 and whether ConOut already reaches it. First thing after InitializeLib(). */
void console_init(void);

/* A progress line: COM1 only. */
void console_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Something the user should know but that does not stop the boot: ConOut and COM1. */
void console_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints "quire-loader: error: " and the message on ConOut and COM1; returns `status` so a
 * caller can write `return console_error(status, ...)`. */
EFI_STATUS console_error(EFI_STATUS status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* From the first ExitBootServices call on, the firmware console is off limits (UEFI 2.10, 7.4:
 * only memory services remain after a failed call): every line goes to COM1 alone. */
void console_boot_services_ending(void);

/* Whether the firmware console may still be used: before the first ExitBootServices call. */
int console_has_firmware(void);

/* Asks for a key and waits for one, at most `seconds`; a no-op once boot services are ending. */
void console_wait_key(unsigned seconds);

/* A short name for an EFI status, e.g. "not found", for messages. */
const char *console_status(EFI_STATUS status);
