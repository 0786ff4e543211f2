/*
 * huce_file.c - whole-file read and atomic write (see huce_file.h).
 */
#include "huce_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "huce_i18n.h"

enum huce_err huce_file_read(const char *path, size_t max,
			     struct huce_buf *out, struct huce_error *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	enum huce_err rc = HUCE_OK;
	size_t n;

	huce_buf_init(out, max);
	if (!f)
		return huce_fail(err, HUCE_ENOTFOUND, _("cannot open '%s': %s"), path,
				 strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !rc)
		rc = huce_buf_add(out, chunk, n);
	if (rc == HUCE_ETOOBIG)
		huce_fail(err, rc, _("'%s' is larger than %zu bytes"), path, max);
	else if (rc)
		huce_fail(err, rc, _("cannot read '%s': out of memory"), path);
	else if (ferror(f))
		rc = huce_fail(err, HUCE_EIO, _("cannot read '%s': %s"), path,
			       strerror(errno));
	fclose(f);
	if (rc)
		huce_buf_release(out);
	return rc;
}

/* fsync the directory that holds path, so that a rename in it is durable. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	/* Some file systems cannot fsync a directory: nothing more to do. */
	if (ret && (errno == EINVAL || errno == EBADF))
		ret = 0;
	close(fd);
	return ret;
}

enum huce_err huce_file_write_atomic(const char *path, const void *data,
				     size_t len, mode_t mode,
				     struct huce_error *err)
{
	struct huce_buf tmp = HUCE_BUF_INIT(4096);
	const char *p = data;
	int fd, saved;

	if (huce_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid())) {
		huce_buf_release(&tmp);
		return huce_fail(err, HUCE_EIO, _("cannot write '%s': %s"), path,
				 strerror(ENAMETOOLONG));
	}
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd)) {
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.data, path))
		goto fail;
	huce_buf_release(&tmp);
	if (sync_dir(path))
		return huce_fail(err, HUCE_EIO, _("cannot write '%s': %s"), path,
				 strerror(errno));
	return HUCE_OK;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp.data);
	huce_buf_release(&tmp);
	return huce_fail(err, HUCE_EIO, _("cannot write '%s': %s"), path,
			 strerror(saved));
}
