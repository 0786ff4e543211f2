/*
 * huce_log.c - one line per message: "huce LEVEL: text".
 */
#include "huce_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int huce_log_threshold = HUCE_LOG_WARN;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void huce_log_set_level(enum huce_log_level level)
{
	huce_log_threshold = (int)level;
}

int huce_log_parse_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void huce_log_write(enum huce_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "huce %s: %s\n",
		level_names[level <= HUCE_LOG_DEBUG ? level : HUCE_LOG_DEBUG], line);
}
