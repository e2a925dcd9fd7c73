/*
 * qmp: a minimal client of QEMU's machine protocol for the scripts (tools/screenshot.sh), so
 * they need neither socat nor Python.
 *
 * Usage: qmp [--timeout SECONDS] SOCKET COMMAND...
 *
 * Connects to the QMP socket SOCKET (run-qemu.sh --qmp SOCKET), waiting for QEMU to create it,
 * reads the greeting, leaves negotiation mode (qmp_capabilities), then sends each COMMAND, a
 * JSON object such as '{"execute":"screendump","arguments":{"filename":"/tmp/s.ppm"}}', and
 * waits for its answer, skipping the events QEMU sends meanwhile. QMP answers one JSON object
 * per line; an answer is the line holding "return" or "error". Each answer is printed.
 * Exit status: 0 when every command returned; 1 when one answered an error (the rest are not
 * sent); 2 for a usage, connection or timeout problem. SECONDS (default 30) bounds the whole run.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 65536

struct conn {
	int fd;
	char buf[LINE_MAX_BYTES];
	size_t len; /* bytes in buf */
	double deadline;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_socket(const char *path, double deadline)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "qmp: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("qmp: socket");
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			return fd;
		int err = errno;
		close(fd);
		if (now() > deadline) {
			fprintf(stderr, "qmp: connecting to %s: %s\n", path, strerror(err));
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	}
}

/* The next line from C into LINE (NUL-terminated, without its CR LF); 0 on EOF or timeout. */
static int read_line(struct conn *c, char *line)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			if (n > 0 && line[n - 1] == '\r')
				line[n - 1] = '\0';
			c->len -= n + 1;
			memmove(c->buf, nl + 1, c->len);
			return 1;
		}
		if (c->len == sizeof(c->buf)) {
			fprintf(stderr, "qmp: an answer longer than %d bytes\n", LINE_MAX_BYTES);
			return 0;
		}
		double left = c->deadline - now();
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0) {
			fprintf(stderr, "qmp: no answer in time\n");
			return 0;
		}
		ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (got <= 0) {
			fprintf(stderr, "qmp: QEMU closed the connection\n");
			return 0;
		}
		c->len += (size_t)got;
	}
}

/* Sends COMMAND and waits for its answer: 0 returned, 1 error, 2 connection trouble. */
static int execute(struct conn *c, const char *command, int quiet)
{
	static char line[LINE_MAX_BYTES + 1];
	size_t n = strlen(command);

	if (write(c->fd, command, n) != (ssize_t)n || write(c->fd, "\n", 1) != 1) {
		perror("qmp: write");
		return 2;
	}
	for (;;) {
		if (!read_line(c, line))
			return 2;
		if (strstr(line, "\"event\"") != NULL && strstr(line, "\"return\"") == NULL)
			continue;
		if (strstr(line, "\"return\"") != NULL) {
			if (!quiet)
				printf("%s\n", line);
			return 0;
		}
		if (strstr(line, "\"error\"") != NULL) {
			fprintf(stderr, "qmp: %s: %s\n", command, line);
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	static struct conn c;
	static char line[LINE_MAX_BYTES + 1];
	double timeout = 30;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
		timeout = atof(argv[2]);
		i = 3;
	}
	if (argc - i < 1 || timeout <= 0) {
		fprintf(stderr, "usage: qmp [--timeout SECONDS] SOCKET COMMAND...\n");
		return 2;
	}
	c.deadline = now() + timeout;
	c.fd = connect_socket(argv[i], c.deadline);
	if (c.fd < 0)
		return 2;
	if (!read_line(&c, line) || strstr(line, "\"QMP\"") == NULL) {
		fprintf(stderr, "qmp: no QMP greeting\n");
		return 2;
	}
	int status = execute(&c, "{\"execute\":\"qmp_capabilities\"}", 1);
	for (i++; status == 0 && i < argc; i++)
		status = execute(&c, argv[i], 0);
	close(c.fd);
	return status;
}
