/*
 * blobs.c - resumable, verified, content-addressed photo files.
 */
#include "blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

enum huce_err blob_store_init(struct blob_store *b, const char *dir,
			      struct huce_error *err)
{
	memset(b, 0, sizeof(*b));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return huce_fail(err, HUCE_EIO, "cannot create photo directory '%s': %s",
				 dir, strerror(errno));
	b->dir = strdup(dir);
	if (!b->dir)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	pthread_mutex_init(&b->lock, NULL);
	return HUCE_OK;
}

void blob_store_release(struct blob_store *b)
{
	if (!b->dir)
		return;
	for (size_t i = 0; i < b->nq; i++)
		free(b->q[i].device);
	free(b->q);
	pthread_mutex_destroy(&b->lock);
	free(b->dir);
	b->dir = NULL;
}

int blob_name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static void paths(const struct blob_store *b, const char *sha, char *done,
		  char *part, size_t size)
{
	snprintf(done, size, "%s/%s", b->dir, sha);
	snprintf(part, size, "%s/%s.part", b->dir, sha);
}

enum huce_err blob_state(struct blob_store *b, const char *sha,
			 uint64_t *offset, int *complete,
			 struct huce_error *err)
{
	char done[4200], part[4200];
	struct stat st;

	*offset = 0;
	*complete = 0;
	if (!blob_name_valid(sha))
		return huce_fail(err, HUCE_EINVAL, "a photo is named by its SHA-256");
	paths(b, sha, done, part, sizeof(done));
	pthread_mutex_lock(&b->lock);
	if (stat(done, &st) == 0) {
		*offset = (uint64_t)st.st_size;
		*complete = 1;
	} else if (stat(part, &st) == 0) {
		*offset = (uint64_t)st.st_size;
	}
	pthread_mutex_unlock(&b->lock);
	return HUCE_OK;
}

/* SHA-256 of a file, lower-case hex. */
static int hash_file(const char *path, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -1;
	ssize_t n;

	if (!ctx || fd < 0 || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return ret;
}

enum huce_err blob_append(struct blob_store *b, const char *sha,
			  uint64_t offset, uint64_t total, const void *data,
			  size_t n, uint64_t *new_offset, int *complete,
			  struct huce_error *err)
{
	char done[4200], part[4200], hex[65];
	struct stat st;
	uint64_t have = 0;
	enum huce_err rc = HUCE_OK;
	int fd = -1;

	*complete = 0;
	*new_offset = 0;
	if (!blob_name_valid(sha))
		return huce_fail(err, HUCE_EINVAL, "a photo is named by its SHA-256");
	if (total == 0 || total > BLOB_MAX_SIZE || n > BLOB_CHUNK_MAX ||
	    offset > total || n > total - offset)
		return huce_fail(err, HUCE_ETOOBIG,
				 "a photo is 1..%llu bytes and a chunk at most %zu",
				 (unsigned long long)BLOB_MAX_SIZE, BLOB_CHUNK_MAX);
	paths(b, sha, done, part, sizeof(done));
	pthread_mutex_lock(&b->lock);
	if (stat(done, &st) == 0) {
		/* Another laptop sent the same photo: nothing to do. */
		*new_offset = (uint64_t)st.st_size;
		*complete = 1;
		goto out;
	}
	if (stat(part, &st) == 0)
		have = (uint64_t)st.st_size;
	if (offset != have) {
		*new_offset = have;
		rc = huce_fail(err, HUCE_EGAP, "the central has %llu bytes of this photo",
			       (unsigned long long)have);
		goto out;
	}
	fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = huce_fail(err, HUCE_EIO, "cannot write a photo: %s", strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = huce_fail(err, HUCE_EIO, "cannot write a photo: %s",
				       strerror(errno));
			/* Cut back to what was there: the next try resumes cleanly. */
			if (ftruncate(fd, (off_t)have) != 0)
				unlink(part);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		rc = huce_fail(err, HUCE_EIO, "cannot write a photo: %s", strerror(errno));
		goto out;
	}
	*new_offset = have + n;
	if (*new_offset < total)
		goto out;
	if (hash_file(part, hex) != 0) {
		rc = huce_fail(err, HUCE_EIO, "cannot read back a photo");
		goto out;
	}
	if (strcmp(hex, sha) != 0) {
		unlink(part);
		*new_offset = 0;
		rc = huce_fail(err, HUCE_ECHECKSUM,
			       "the photo's bytes do not match its SHA-256; start again");
		goto out;
	}
	if (rename(part, done) != 0) {
		rc = huce_fail(err, HUCE_EIO, "cannot store a photo: %s", strerror(errno));
		goto out;
	}
	*complete = 1;
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

enum huce_err blob_open(struct blob_store *b, const char *sha, int *fd,
			uint64_t *size, struct huce_error *err)
{
	char done[4200], part[4200];
	struct stat st;

	*fd = -1;
	*size = 0;
	if (!blob_name_valid(sha))
		return huce_fail(err, HUCE_EINVAL, "a photo is named by its SHA-256");
	paths(b, sha, done, part, sizeof(done));
	*fd = open(done, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ?
			huce_fail(err, HUCE_ENOTFOUND, "the central does not have this photo "
				  "(yet): the laptop that took it has not uploaded it") :
			huce_fail(err, HUCE_EIO, "cannot open a photo: %s", strerror(errno));
	if (fstat(*fd, &st) != 0) {
		close(*fd);
		*fd = -1;
		return huce_fail(err, HUCE_EIO, "cannot open a photo: %s", strerror(errno));
	}
	*size = (uint64_t)st.st_size;
	return HUCE_OK;
}

/* The device's entry for day (a stale one is reused); NULL on OOM. */
static struct blob_quota *quota_entry(struct blob_store *b, const char *device,
				      int64_t day)
{
	struct blob_quota *e = NULL;

	for (size_t i = 0; i < b->nq; i++) {
		if (strcmp(b->q[i].device, device) == 0) {
			e = &b->q[i];
			break;
		}
	}
	if (!e) {
		char *dev = strdup(device);

		if (!dev)
			return NULL;
		if (b->nq == b->aq) {
			size_t a = b->aq ? 2 * b->aq : 16;
			struct blob_quota *q = realloc(b->q, a * sizeof(*q));

			if (!q) {
				free(dev);
				return NULL;
			}
			b->q = q;
			b->aq = a;
		}
		e = &b->q[b->nq++];
		e->device = dev;
		e->day = day;
		e->bytes = 0;
	}
	if (e->day != day) {
		e->day = day;
		e->bytes = 0;
	}
	return e;
}

enum huce_err blob_quota_check(struct blob_store *b, const char *device,
			       uint64_t n, int64_t now, uint64_t *used,
			       unsigned *retry_after)
{
	int64_t day = now / 86400;
	struct blob_quota *e;
	enum huce_err rc = HUCE_OK;

	*used = 0;
	*retry_after = 0;
	if (!b->quota || !device)
		return HUCE_OK;
	pthread_mutex_lock(&b->lock);
	e = quota_entry(b, device, day);
	if (e && e->bytes + n > b->quota) {
		*used = e->bytes;
		*retry_after = (unsigned)((day + 1) * 86400 - now);
		rc = HUCE_EBUSY;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void blob_quota_add(struct blob_store *b, const char *device, uint64_t n,
		    int64_t now)
{
	struct blob_quota *e;

	if (!b->quota || !device)
		return;
	pthread_mutex_lock(&b->lock);
	e = quota_entry(b, device, now / 86400);
	if (e)
		e->bytes += n;
	pthread_mutex_unlock(&b->lock);
}
