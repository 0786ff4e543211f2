/*
 * huce_file.h - whole files: read one into a bounded buffer, write one
 * so that a crash leaves either the old file or the new one.
 *
 * huce_file_write_atomic() writes a temporary file in the target's own
 * directory (so the rename cannot cross file systems), fsyncs it,
 * renames it over the target and fsyncs the directory, so the rename
 * itself survives a power cut (curl and git write files the same way).
 * A failure removes the temporary file and leaves the target as it was.
 *
 *   struct huce_buf b;
 *   if (huce_file_read("ack.json", 1 << 20, &b, &err) == HUCE_OK)
 *           ...b.data, b.len...; huce_buf_release(&b);
 *   huce_file_write_atomic("out.csv", text, len, 0666, &err);
 */
#ifndef HUCE_FILE_H
#define HUCE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "huce_buf.h"
#include "huce_err.h"

/*
 * Read the file at path, at most max bytes, into out (initialised here;
 * NUL-terminated; the caller releases it, also on failure).  Returns
 * HUCE_ENOTFOUND when it cannot be opened, HUCE_ETOOBIG when it holds
 * more than max bytes, HUCE_EIO on a read error, HUCE_ENOMEM; err names
 * the path.
 */
enum huce_err huce_file_read(const char *path, size_t max,
			     struct huce_buf *out, struct huce_error *err);

/*
 * Replace the file at path with len bytes of data, created with mode
 * (less the umask) through a temporary file "PATH.tmp.PID", fsync and
 * rename, then fsync of the directory.  HUCE_EIO ("cannot write 'PATH':
 * reason") on any failure, the target untouched.
 */
enum huce_err huce_file_write_atomic(const char *path, const void *data,
				     size_t len, mode_t mode,
				     struct huce_error *err);

#endif
