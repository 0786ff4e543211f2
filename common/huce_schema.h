/*
 * huce_schema.h - files of schema/ compiled into the binaries.
 *
 * The table is generated at build time by schema/embed.py and ends with
 * an entry whose name is NULL.  Paths are relative to schema/, e.g.
 * "local/0001_init.sql" or "checklists/three-grid.json".
 */
#ifndef HUCE_SCHEMA_H
#define HUCE_SCHEMA_H

#include <stddef.h>

struct huce_schema_file {
	const char *name;
	const char *data;	/* NUL-terminated */
	size_t len;
};

extern const struct huce_schema_file huce_schema_files[];

/* The embedded file at that path, or NULL. */
const struct huce_schema_file *huce_schema_find(const char *name);

#endif
