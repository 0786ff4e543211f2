/*
 * huce_schema.c - lookup in the embedded schema table.
 */
#include "huce_schema.h"

#include <string.h>

const struct huce_schema_file *huce_schema_find(const char *name)
{
	for (const struct huce_schema_file *f = huce_schema_files; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}
