/* SPDX-License-Identifier: GPL-2.0 */
/* What the bench programs share: their error exit and sysctl access. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Print what failed, with errno, prefixed by the program's name; exit 1. */
static inline __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

/*
 * Write @set to @path and return 0 (-1 on failure); or, with @set NULL,
 * return the number @path holds (-1 if it cannot be read).
 */
static inline long sysctl(const char *path, const char *set)
{
	char b[32] = "";
	long val = -1;
	int fd = open(path, set ? O_WRONLY : O_RDONLY);

	if (fd < 0)
		return -1;
	if (set)
		val = write(fd, set, strlen(set)) == (ssize_t)strlen(set) ? 0 : -1;
	else if (read(fd, b, sizeof(b) - 1) > 0)
		val = strtol(b, NULL, 10);
	close(fd);
	return val;
}

#endif
