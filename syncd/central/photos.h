/*
 * photos.h - the office's view of photos at the central (photos.c):
 * which photo records have their bytes and which do not yet.
 */
#ifndef HUCE_CENTRAL_PHOTOS_H
#define HUCE_CENTRAL_PHOTOS_H

#include "store.h"

/*
 * `huce-syncd admin --store S photos [--missing] [--json] [--blobs DIR]`
 * (argv[0] is "photos"): every live photo record with {id, owner, kind,
 * sha256, bytes, device, arrived, received}; --missing only those whose
 * bytes have not arrived.  DIR defaults to S.blobs for a SQLite store.
 * Returns an exit code of the command-line contract; actor names the
 * admin in the audit log.
 */
int admin_photos(struct store *s, const char *spec, const char *actor,
		 int argc, char **argv);

#endif
