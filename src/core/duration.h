#ifndef TLALOC_CORE_DURATION_H
#define TLALOC_CORE_DURATION_H

/*
 * Durations as people write them in recipes and on the command line:
 * "500ms", "10s", "2m", "1h", or a bare number of seconds ("1.5").
 * Milliseconds, at most a day; -1 when s is none of these.
 */
long long	duration_ms(const char *s);

#endif
