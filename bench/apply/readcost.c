/*
 * bench/apply/readcost.c: what checking a tree of small files costs the
 * kernel, the way tlaloc's file check reads one (openat through the
 * parent directory's descriptor, fstat, read, close) against a single
 * fstatat (the check cache's path). Process CPU time per round.
 *
 *   find ROOT/srv -type f >files.txt
 *   cc -O2 -o readcost bench/apply/readcost.c
 *   ./readcost files.txt 0 2000; ./readcost files.txt 1 2000
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

int main(int argc, char **argv) {
	char *paths[400]; int n = 0; char line[4096]; char buf[65536];
	FILE *f = fopen(argv[1], "r"); int mode = atoi(argv[2]); int rounds = atoi(argv[3]);
	while (n < 400 && fgets(line, sizeof line, f)) { line[strcspn(line, "\n")] = 0; paths[n++] = strdup(line); }
	int dfd[400]; char *base[400]; for (int i = 0; i < n; i++) { char *d = strdup(paths[i]); base[i] = strrchr(paths[i], '/') + 1; dfd[i] = open(dirname(d), O_RDONLY|O_DIRECTORY); }
	struct timespec a, b; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (int r = 0; r < rounds; r++) for (int i = 0; i < n; i++) {
		struct stat st;
		if (mode == 0) { int fd = openat(dfd[i], base[i], O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC); fstat(fd, &st); if (read(fd, buf, st.st_size + 1) < 0) abort(); close(fd); }
		else fstatat(dfd[i], base[i], &st, AT_SYMLINK_NOFOLLOW);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("mode %d: %.1f us per round of %d files\n", mode, ((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e3/rounds, n);
}
