/*
 * replay.c - main() of the plain (non-libFuzzer) build of every fuzz
 * target: run each file named on the command line, or found under a
 * directory named there, through LLVMFuzzerTestOneInput().
 *
 *   fuzz_<name> FILE|DIR...
 *
 * Each input is read into a heap block of exactly its size, so that the
 * sanitizers catch any read past its end.  Exit status: 0 when every
 * input ran, 1 when a file could not be read or when no input was found
 * at all (an empty corpus would make the test pass without testing
 * anything), 2 on a usage error.  A failed invariant in the target
 * aborts, which ends the run as it ends a libFuzzer run.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Read path into a heap block of exactly its size and run it. */
static int replay_file(const char *path)
{
	struct stat st;
	unsigned char *p;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fstat(fileno(f), &st) || st.st_size < 0 ||
	    (uintmax_t)st.st_size > fuzz_replay.max_input) {
		fprintf(stderr, "%s: cannot size or too large\n", path);
		fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	p = malloc(n ? n : 1);
	if (!p || fread(p, 1, n, f) != n) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (getenv("HUCE_FUZZ_VERBOSE")) {
		if (fuzz_replay.verbose)
			fuzz_replay.verbose(path, n ? p : NULL, n);
		else
			fprintf(stderr, "%s\n", path);
	}
	LLVMFuzzerTestOneInput(n ? p : NULL, n);
	free(p);
	return 0;
}

/* A file, or every file under a directory (names starting with '.' skipped). */
static int replay_path(const char *path, unsigned *count)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (stat(path, &st)) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path))
			return -1;
		(*count)++;
		return 0;
	}
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	for (;;) {
		int n;

		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			fprintf(stderr, "%s/%s: path too long\n", path, de->d_name);
			ret = -1;
			continue;
		}
		if (replay_path(sub, count))
			ret = -1;
	}
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count))
			ret = 1;
	printf("%s: replayed %u inputs\n", fuzz_replay.name, count);
	return count ? ret : 1;
}
