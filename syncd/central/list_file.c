/*
 * list_file.c - the office's list file as UTF-8 text (list_file.h).
 *
 * Two ways in besides plain UTF-8: iconv(3) from GB18030 for what Excel
 * and WPS save as "CSV" on Chinese Windows, and xlsx2csv for a workbook.
 * The child is started with posix_spawnp() (no shell: the path is one
 * argument whatever it holds), its stdin is /dev/null, and its stdout
 * and stderr are read through poll() until it closes them, the output
 * passes the maximum, or the deadline passes; in the last two cases it
 * is killed.  Either way it is reaped before we return.
 */
#include "list_file.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "huce_util.h"

extern char **environ;

/* The 1-based line of text at byte offset off. */
static int line_at(const char *s, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= off || s[i + 1] != '\n')))
			line++;
	return line;
}

/* The first line of s[0..n) that is not valid UTF-8. */
static int bad_utf8_line(const char *s, size_t n)
{
	size_t i = 0;
	int line = 1;

	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != '\n')
			j++;
		if (!huce_utf8_valid(s + i, j - i))
			return line;
		line++;
		i = j + 1;
	}
	return line;
}

static enum huce_err from_gb18030(const char *in, size_t n, size_t max,
				  struct list_text *out, struct huce_error *err)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	size_t cap = n + n / 2 + 16, left, outleft;
	char *buf, *ip = (char *)in, *op;

	if (cd == (iconv_t)-1)
		return huce_fail(err, HUCE_EIO, "cannot convert from GB18030: %s",
				 strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		iconv_close(cd);
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	}
	left = n;
	op = buf;
	outleft = cap - 1;
	if (iconv(cd, &ip, &left, &op, &outleft) == (size_t)-1) {
		int line = line_at(in, (size_t)(ip - in));
		int e = errno;

		iconv_close(cd);
		free(buf);
		if (e == E2BIG)
			return huce_fail(err, HUCE_ENOMEM, "out of memory");
		return huce_fail(err, HUCE_EENCODING,
				 "line %d: the text is neither UTF-8 nor GB18030 (GBK); "
				 "save the list as \"CSV UTF-8\" or as .xlsx", line);
	}
	iconv_close(cd);
	if ((size_t)(op - buf) > max) {
		free(buf);
		return huce_fail(err, HUCE_ETOOBIG, "the list is longer than %zu bytes",
				 max);
	}
	*op = '\0';
	out->text = buf;
	out->len = (size_t)(op - buf);
	out->encoding = "GB18030";
	return HUCE_OK;
}

/* Read from the child's pipes until both close, the limit or the deadline. */
static enum huce_err drain(int ofd, int efd, struct huce_buf *o, char *ebuf,
			   size_t esz, int *killed, struct huce_error *err)
{
	struct pollfd p[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };
	time_t deadline = time(NULL) + LIST_XLSX_TIMEOUT;
	size_t elen = 0;
	char chunk[65536];

	*killed = 0;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		time_t now = time(NULL);
		int r;

		if (now >= deadline) {
			*killed = 1;
			return huce_fail(err, HUCE_EIO, "xlsx2csv took longer than %d s",
					 LIST_XLSX_TIMEOUT);
		}
		r = poll(p, 2, (int)(deadline - now) * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return huce_fail(err, HUCE_EIO, "poll: %s", strerror(errno));
		for (int k = 0; k < 2; k++) {
			ssize_t got;

			if (p[k].fd < 0 || !p[k].revents)
				continue;
			got = read(p[k].fd, chunk, sizeof(chunk));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				p[k].fd = -1;
				continue;
			}
			if (k == 1) {
				size_t take = (size_t)got < esz - 1 - elen ?
					(size_t)got : esz - 1 - elen;

				memcpy(ebuf + elen, chunk, take);
				elen += take;
				ebuf[elen] = '\0';
			} else if (huce_buf_add(o, chunk, (size_t)got)) {
				*killed = 1;
				if (o->err == HUCE_ETOOBIG)
					return huce_fail(err, o->err, "the workbook's text is "
							 "longer than %zu bytes", o->max);
				return huce_fail(err, o->err, "out of memory");
			}
		}
	}
	return HUCE_OK;
}

/* The last non-empty line of s, trimmed, in place. */
static const char *last_line(char *s)
{
	char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	return start;
}

static enum huce_err from_xlsx(const char *path, size_t max,
			       struct list_text *out, struct huce_error *err)
{
	const char *prog = getenv("HUCE_XLSX2CSV");
	char *argv[4];
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, killed = 0, status = 0;
	posix_spawn_file_actions_t fa;
	struct huce_buf o = HUCE_BUF_INIT(max);
	char ebuf[1024] = "";
	pid_t pid;
	enum huce_err rc;
	int e;

	if (!prog || !*prog)
		prog = "xlsx2csv";
	argv[0] = (char *)prog;
	argv[1] = (char *)"--";
	argv[2] = (char *)path;
	argv[3] = NULL;
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		rc = huce_fail(err, HUCE_EIO, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	if (posix_spawn_file_actions_init(&fa)) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto close_pipes;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	e = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	if (e) {
		rc = huce_fail(err, HUCE_EIO, e == ENOENT ?
			"'%s' is an Excel workbook (.xlsx), and reading one needs "
			"the program xlsx2csv, which is not installed (Debian: apt "
			"install xlsx2csv); or save the list as \"CSV UTF-8\"" :
			"'%s': cannot run xlsx2csv: %s", path, strerror(e));
		goto close_pipes;
	}
	rc = drain(opipe[0], epipe[0], &o, ebuf, sizeof(ebuf), &killed, err);
	if (killed)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		const char *why = last_line(ebuf);

		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			rc = huce_fail(err, HUCE_EIO, "'%s' is an Excel workbook (.xlsx), "
				       "and reading one needs the program xlsx2csv, which "
				       "is not installed (Debian: apt install xlsx2csv); "
				       "or save the list as \"CSV UTF-8\"", path);
		else
			rc = huce_fail(err, HUCE_EENCODING, "xlsx2csv cannot read '%s'%s%.300s",
				       path, *why ? ": " : "", why);
	}
	if (!rc && !huce_utf8_valid(o.data ? o.data : "", o.len))
		rc = huce_fail(err, HUCE_EENCODING, "xlsx2csv gave text that is not UTF-8 "
			       "(line %d)", bad_utf8_line(o.data, o.len));
	if (!rc) {
		if (!o.data && huce_buf_reserve(&o, 1)) {
			rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
			goto close_pipes;
		}
		out->text = huce_buf_detach(&o, &out->len);
		out->encoding = "XLSX (xlsx2csv)";
	}
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	huce_buf_release(&o);
	return rc;
}

enum huce_err list_file_decode(const char *path, const struct huce_buf *raw,
			       size_t max, struct list_text *out,
			       struct huce_error *err)
{
	const unsigned char *b = (const unsigned char *)(raw->data ? raw->data : "");
	size_t n = raw->len;

	memset(out, 0, sizeof(*out));
	if (n >= 4 && memcmp(b, "PK\003\004", 4) == 0)
		return from_xlsx(path, max, out, err);
	if (n >= 4 && memcmp(b, "\xd0\xcf\x11\xe0", 4) == 0)
		return huce_fail(err, HUCE_EENCODING, "'%s' is an Excel 97-2003 workbook "
				 "(.xls): save it as .xlsx or as \"CSV UTF-8\"", path);
	if (n >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
		return huce_fail(err, HUCE_EENCODING, "'%s' is UTF-16 text (Excel's "
				 "\"Unicode Text\"): save it as \"CSV UTF-8\"", path);
	if (n > max)
		return huce_fail(err, HUCE_ETOOBIG, "the list is longer than %zu bytes", max);
	if (memchr(b, '\0', n))
		return huce_fail(err, HUCE_EENCODING, "line %d: a NUL byte (this is not "
				 "a text file)", line_at((const char *)b,
					 (size_t)((const unsigned char *)memchr(b, '\0', n) - b)));
	if (huce_utf8_valid((const char *)b, n)) {
		out->text = malloc(n + 1);
		if (!out->text)
			return huce_fail(err, HUCE_ENOMEM, "out of memory");
		memcpy(out->text, b, n);
		out->text[n] = '\0';
		out->len = n;
		out->encoding = n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0 ?
			"UTF-8 with BOM" : "UTF-8";
		return HUCE_OK;
	}
	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		return huce_fail(err, HUCE_EENCODING, "line %d: not UTF-8 text, though "
				 "the file begins with a UTF-8 byte order mark",
				 bad_utf8_line((const char *)b, n));
	return from_gb18030((const char *)b, n, max, out, err);
}

void list_text_release(struct list_text *t)
{
	free(t->text);
	memset(t, 0, sizeof(*t));
}
