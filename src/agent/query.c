#include "agent/agent_int.h"
void agent_query_open(struct agent *a) { (void)a; }
void agent_query_close(struct agent *a) { (void)a; }
void agent_query_on_msg(struct agent *a, const struct bcast_msg *m) { (void)a; (void)m; }
void agent_query_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req) { (void)a; (void)req; agent_ctl_reply(c, 1, "no\n", 3); }
void agent_query_on_reply(struct agent *a, const uint8_t *p, size_t len) { (void)a; (void)p; (void)len; }
void agent_query_house(struct agent *a) { (void)a; }
