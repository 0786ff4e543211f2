/*
 * huce_log.h - level-tagged logging to stderr.
 *
 * The level is tested before anything is formatted, so a disabled debug
 * line costs one comparison.  Log ids and counts, never personal data
 * (names, ID numbers, phones).
 */
#ifndef HUCE_LOG_H
#define HUCE_LOG_H

enum huce_log_level {
	HUCE_LOG_ERR = 0,
	HUCE_LOG_WARN,
	HUCE_LOG_INFO,
	HUCE_LOG_DEBUG,
};

/* The only mutable global of the project: the current threshold. */
extern int huce_log_threshold;

void huce_log_set_level(enum huce_log_level level);
/* Parse "error|warn|info|debug"; returns -1 when unknown. */
int huce_log_parse_level(const char *s);
void huce_log_write(enum huce_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define huce_log(level, ...)                                   \
	do {                                                   \
		if ((int)(level) <= huce_log_threshold)        \
			huce_log_write((level), __VA_ARGS__);  \
	} while (0)

#define huce_err_log(...)   huce_log(HUCE_LOG_ERR, __VA_ARGS__)
#define huce_warn(...)      huce_log(HUCE_LOG_WARN, __VA_ARGS__)
#define huce_info(...)      huce_log(HUCE_LOG_INFO, __VA_ARGS__)
#define huce_debug(...)     huce_log(HUCE_LOG_DEBUG, __VA_ARGS__)

#endif
