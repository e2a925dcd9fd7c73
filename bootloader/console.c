/*
 * Console output. Every line is formatted once as ASCII (fmt.c) and then goes where it is needed:
 *   - progress lines (console_info) to COM1 only, by port I/O: they are for the serial log and
 *     the gdb script, and drawing text on the firmware's graphical console costs about 0.5 to 1
 *     million instructions a line, which would be most of the loader's run time;
 *   - warnings and errors, which a person at the screen must see, to the firmware's ConOut as
 *     well, while boot services last.
 * OVMF's ConOut already includes a terminal on COM1 (its ConOut variable names
 * PciRoot(0x0)/Pci(0x1F,0x0)/Serial(0x0)/Uart(...)), so writing a warning to the port as well
 * would print it twice there; the port is written directly only when ConOut does not reach it, or
 * when boot services are gone. The firmware's terminal and the loader's direct writes share one
 * UART, in order, without duplicates.
 */
#include "bootloader/console.h"

#include <efilib.h>

#include "bootloader/devpath.h"
#include "bootloader/fmt.h"
#include "bootloader/serial.h"

#define LINE_MAX         320
#define PREFIX           "quire-loader: "
#define UEFI_TICKS_PER_S 10000000ull /* timer events count 100 ns units */

static struct {
	int firmware; /* boot services usable, ConOut may be written */
	int conout_reaches_com1;
} console;

/* Reads the ConOut variable and looks for a COM1 terminal in it. */
static int conout_reaches_com1(void)
{
	static EFI_GUID global = EFI_GLOBAL_VARIABLE;
	UINT64 path[64]; /* 512 bytes: OVMF's ConOut is about 150; aligned for the firmware */
	UINTN size = sizeof(path);

	if (RT->GetVariable(L"ConOut", &global, NULL, &size, path) != EFI_SUCCESS)
		return 0; /* absent or larger than any plausible console list: assume separate */
	return devpath_has_com1_uart(path, size);
}

void console_init(void)
{
	console.firmware = 1;
	console.conout_reaches_com1 = ST->ConOut != NULL && conout_reaches_com1();
	serial_init(!console.conout_reaches_com1);
}

/* Writes ASCII `text` on ConOut, widened to UCS-2, '\n' as "\r\n". */
static void conout_write(const char *text)
{
	CHAR16 wide[2 * LINE_MAX + 1];
	size_t n = 0;

	for (; *text != '\0' && n < 2 * LINE_MAX - 1; text++) {
		if (*text == '\n')
			wide[n++] = L'\r';
		wide[n++] = (CHAR16)(unsigned char)*text;
	}
	wide[n] = 0;
	ST->ConOut->OutputString(ST->ConOut, wide);
}

/* Prints one line: on COM1, and also on ConOut when `to_screen` and the firmware is still up. */
static void emit(int to_screen, const char *kind, const char *format, va_list args)
{
	char line[LINE_MAX];
	size_t len = fmt_format(line, sizeof(line), "%s%s", PREFIX, kind);

	len += fmt_vformat(line + len, sizeof(line) - len - 1, format, args);
	line[len++] = '\n';
	line[len] = '\0';
	int on_conout = to_screen && console.firmware && ST->ConOut != NULL;
	if (on_conout)
		conout_write(line);
	if (!on_conout || !console.conout_reaches_com1)
		serial_write(line, len);
}

void console_info(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	emit(0, "", format, args);
	va_end(args);
}

void console_warn(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	emit(1, "warning: ", format, args);
	va_end(args);
}

EFI_STATUS console_error(EFI_STATUS status, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	emit(1, "error: ", format, args);
	va_end(args);
	return status;
}

void console_boot_services_ending(void)
{
	console.firmware = 0;
}

int console_has_firmware(void)
{
	return console.firmware;
}

/* A plain line for the person at the screen: ConOut and COM1, no "warning:". */
static void notice(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void notice(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	emit(1, "", format, args);
	va_end(args);
}

/* Waits for a key or the timer, whichever comes first; 0 when the events could not be set up. */
static int wait_key_or_timer(unsigned seconds)
{
	EFI_EVENT events[2];
	UINTN index;

	if (BS->CreateEvent(EVT_TIMER, 0, NULL, NULL, &events[1]) != EFI_SUCCESS)
		return 0;
	int ok = BS->SetTimer(events[1], TimerRelative, seconds * UEFI_TICKS_PER_S) == EFI_SUCCESS;
	if (ok) {
		events[0] = ST->ConIn->WaitForKey;
		ok = BS->WaitForEvent(2, events, &index) == EFI_SUCCESS;
	}
	if (ok && index == 0) {
		EFI_INPUT_KEY key;

		ST->ConIn->ReadKeyStroke(ST->ConIn, &key);
	}
	BS->CloseEvent(events[1]);
	return ok;
}

void console_wait_key(unsigned seconds)
{
	if (!console.firmware)
		return;
	notice("press a key to return to the firmware (it continues by itself in %u s)", seconds);
	if (ST->ConIn != NULL) {
		ST->ConIn->Reset(ST->ConIn, FALSE); /* a key typed before the error is no answer */
		if (wait_key_or_timer(seconds))
			return;
	}
	BS->Stall((UINTN)seconds * 1000000); /* no keyboard, or no timer: just give time to read */
}

const char *console_status(EFI_STATUS status)
{
	switch (status) {
	case EFI_SUCCESS:
		return "success";
	case EFI_LOAD_ERROR:
		return "load error";
	case EFI_INVALID_PARAMETER:
		return "invalid parameter";
	case EFI_UNSUPPORTED:
		return "unsupported";
	case EFI_BAD_BUFFER_SIZE:
		return "bad buffer size";
	case EFI_BUFFER_TOO_SMALL:
		return "buffer too small";
	case EFI_NOT_READY:
		return "not ready";
	case EFI_DEVICE_ERROR:
		return "device error";
	case EFI_WRITE_PROTECTED:
		return "write protected";
	case EFI_OUT_OF_RESOURCES:
		return "out of resources";
	case EFI_VOLUME_CORRUPTED:
		return "volume corrupted";
	case EFI_NO_MEDIA:
		return "no media";
	case EFI_MEDIA_CHANGED:
		return "media changed";
	case EFI_NOT_FOUND:
		return "not found";
	case EFI_ACCESS_DENIED:
		return "access denied";
	case EFI_TIMEOUT:
		return "timeout";
	case EFI_ABORTED:
		return "aborted";
	case EFI_SECURITY_VIOLATION:
		return "security violation";
	default:
		return "unexpected EFI status";
	}
}
