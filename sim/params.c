#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/health.h"
#include "cluster/swim.h"

void
sim_params_default(struct sim_params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "default");
	snprintf(p->profile, sizeof(p->profile), "lan");
	p->seed = 1;
	p->nodes = 100;
	p->duration_s = 300;
	p->loss = 0.01;
	p->lat_min_us = 1000;
	p->lat_max_us = 5000;
	p->lifeguard = SWIM_LG_ALL;
	p->pushpull = 1;
	p->warm = 1;
	p->shared_clock = 1;
	/* NTP keeps LAN clocks within a few ms of each other. */
	p->clock_skew_ms = 10;
	p->stall_ms = 2000;
	p->stall_every_s = 30;
	p->report_s = 0;
	p->bundle_bytes = 10u << 20;
	p->upload_bps = 12500000;	/* 100 Mbit/s */
	p->gossip_ms = 1000;
	snprintf(p->mode, sizeof(p->mode), "swim");
	p->pack_size = 5;
	p->schedules = 1;
	p->failovers = 20;
	p->drift_ppm = 20000;
	p->bcast_msgs = 20;
	p->bcast_every_ms = 1000;
	p->query_frac = 0.1;
	p->flap_up_s = 20;
	p->flap_down_s = 20;
	p->check_ms = 1000;
	p->rise = 2;
	p->fall = 3;
	p->damping = 1;
	p->flips = 1;
	p->recover_hold_s = HEALTH_RECOVER_HOLD_MS / 1000;
}

struct key {
	const char	*name;
	char		 kind;	/* u: uint32, U: uint64, d: double, s: string */
	size_t		 off;
	size_t		 size;
};

#define K(n, k) { #n, k, offsetof(struct sim_params, n), \
	sizeof(((struct sim_params *)0)->n) }

static const struct key keys[] = {
	K(name, 's'), K(seed, 'U'), K(nodes, 'u'), K(duration_s, 'u'),
	K(profile, 's'), K(loss, 'd'), K(lat_min_us, 'u'), K(lat_max_us, 'u'),
	K(lifeguard, 'u'), K(ab, 'i'), K(suspicion_mult, 'd'), K(suspicion_floor, 'd'),
	K(pushpull, 'i'), K(pushpull_bps, 'u'), K(warm, 'i'),
	K(shared_clock, 'i'), K(clock_skew_ms, 'u'), K(crash_at_s, 'u'),
	K(crash_every_s, 'u'), K(crashes, 'u'), K(join_at_s, 'u'),
	K(join_every_s, 'u'), K(joins, 'u'), K(stall_frac, 'd'),
	K(stall_ms, 'u'), K(stall_every_s, 'u'), K(stall_slow, 'i'), K(partition_at_s, 'u'),
	K(partition_for_s, 'u'), K(report_s, 'u'), K(policy, 'i'),
	K(bundle_bytes, 'U'), K(upload_bps, 'u'), K(gossip_ms, 'u'),
	K(mode, 's'),
	K(pack_size, 'u'), K(pack_min, 'u'), K(schedules, 'u'),
	K(failovers, 'u'), K(drift_ppm, 'u'), K(reap_s, 'u'),
	K(spike_prob, 'd'), K(spike_ms, 'u'),
	K(bcast, 'i'),
	K(bcast_msgs, 'u'), K(bcast_every_ms, 'u'), K(query_frac, 'd'),
	K(dead_frac, 'd'),
	K(services, 'i'), K(flap_frac, 'd'), K(flap_up_s, 'u'),
	K(flap_down_s, 'u'), K(check_ms, 'u'), K(rise, 'u'), K(fall, 'u'),
	K(damping, 'i'), K(measure_at_s, 'u'), K(recover_hold_s, 'u'),
	K(flips, 'i'), K(hc_eager, 'u'), K(hc_rt_mult, 'u'),
};

int
sim_params_set(struct sim_params *p, const char *key, const char *val)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *at = (char *)p + keys[i].off, *end;

		if (strcmp(keys[i].name, key) != 0)
			continue;
		errno = 0;
		switch (keys[i].kind) {
		case 's':
			snprintf(at, keys[i].size, "%s", val);
			return 0;
		case 'd':
			*(double *)at = strtod(val, &end);
			break;
		case 'U':
			*(uint64_t *)at = strtoull(val, &end, 0);
			break;
		case 'i':
			*(int *)at = (int)strtol(val, &end, 0);
			break;
		default:
			*(uint32_t *)at = (uint32_t)strtoul(val, &end, 0);
			break;
		}
		return errno == 0 && end != val && *end == '\0' ? 0 : -1;
	}
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
sim_params_load(struct sim_params *p, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "tlaloc-sim: cannot open '%s'\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *hash = strchr(line, '#'), *eq, *k, *v;

		lineno++;
		if (hash != NULL)
			*hash = '\0';
		if ((eq = strchr(line, '=')) == NULL) {
			if (*trim(line) == '\0')
				continue;
			fprintf(stderr, "%s:%d: expected key = value\n", path,
			    lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		if (sim_params_set(p, k, v) < 0) {
			fprintf(stderr, "%s:%d: bad key or value '%s'\n", path,
			    lineno, k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}
