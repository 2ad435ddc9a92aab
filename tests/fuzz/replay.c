/*
 * replay.c - runs every file in the directories (or the files) named on
 * the command line through LLVMFuzzerTestOneInput, without libFuzzer, so
 * `make check` replays the fuzz corpus and every crash ever found.
 *
 * Prints how many inputs ran and exits 0; a crash is the failure. A
 * directory that does not exist holds no inputs.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file. 0, or -1 if it could not be read. */
static int
s_run_file(const char *path)
{
	FILE	*f;
	char	*data = NULL, *p;
	size_t	 len = 0, cap = 0, n;
	int	 rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(data, cap)) == NULL)
				goto out;
			data = p;
		}
		if ((n = fread(data + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	/* An exactly sized copy, so reading one byte too far is caught by
	 * the sanitizers. */
	if ((p = malloc(len ? len : 1)) == NULL)
		goto out;
	memcpy(p, data, len);
	LLVMFuzzerTestOneInput((const uint8_t *)p, len);
	free(p);
	rc = 0;
out:
	free(data);
	fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[4096];
	size_t		 total = 0, failed = 0;
	int		 i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			printf("replay: %s: no such directory; 0 inputs\n",
			    argv[i]);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			total++;
			failed += s_run_file(argv[i]) == -1;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			failed++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			total++;
			failed += s_run_file(path) == -1;
		}
		closedir(d);
	}
	printf("replay: %zu inputs, %zu unreadable\n", total, failed);
	return failed ? 1 : 0;
}
