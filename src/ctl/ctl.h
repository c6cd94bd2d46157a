#ifndef TLALOC_CTL_CTL_H
#define TLALOC_CTL_CTL_H

/*
 * The control protocol between `tlaloc COMMAND` and a running agent, over
 * the unix socket STATE_DIR/agent.sock (mode 0600 in a 0700 directory: the
 * file system is the access control). One request frame, one response
 * frame, each with the u32 length prefix of net/stream.h.
 *
 *   request:
 *   +--------+--------+--------+----------------+------------------------+
 *   | ver=1  |   op   | flags  | nargs (u16)    | nargs x (u16 len,bytes)|
 *   +--------+--------+--------+----------------+------------------------+
 *   response:
 *   +--------+---------------------------------------------------------+
 *   | status | body: text or JSON (CTL_F_JSON), UTF-8                  |
 *   +--------+---------------------------------------------------------+
 *
 * status 0 is success; 1 means the body is an error sentence. Arguments
 * are text without NUL bytes, at most CTL_ARGS_MAX of CTL_ARG_MAX bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct tl_err;

#define CTL_VERSION	1
#define CTL_REQ_MAX	(256u * 1024)
#define CTL_REPLY_MAX	(16u << 20)
#define CTL_ARGS_MAX	64
#define CTL_ARG_MAX	1024
#define CTL_F_JSON	0x1
#define CTL_F_CBOR	0x2	/* the reply a program acts on: a typed
				   body (core/codec.h) where the op has one */
#define CTL_F_HEADER	0x4	/* text for a terminal: a header line first
				   (CTL_MEMBERS) */

/* CTL_STATUS's verdict in the reply's status byte (never 1, the error). */
#define CTL_STATUS_FAILING	0x2	/* a node's last run failed */
#define CTL_STATUS_SILENT	0x4	/* a node is down or quiet */

enum ctl_op {
	CTL_MEMBERS = 1,	/* args: "status=S", "tag=k=v" filters */
	CTL_JOIN,		/* args: addresses */
	CTL_LEAVE,
	CTL_INFO,
	CTL_KEYS_INSTALL,	/* arg: base64 key */
	CTL_KEYS_USE,		/* arg: base64 key or key id */
	CTL_KEYS_REMOVE,	/* arg: base64 key or key id */
	CTL_KEYS_LIST,
	CTL_TAGS_SET,		/* args: k=v */
	CTL_TAGS_DELETE,	/* args: k or k=v */
	CTL_HANDLERS_SET = 24,	/* args: channel, pattern, ... (recipe on()) */
	CTL_RECIPE_DECL,	/* args: "c:#chan", "t:k=v": what the recipe
				   declares (agent/recipe_decl.c) */
	/* Policy ops sit apart so other subsystems can add theirs above. */
	CTL_POLICY_PUBLISH = 32, /* arg: path of a signed bundle file */
	CTL_POLICY_STATUS,	/* this node's policy and transfer; with
				   CTL_F_CBOR: [serial, good, newest,
				   fetching] as uints */
	CTL_STATUS,		/* every node's last converge; status:
				   CTL_STATUS_* bits, the body a report */
	CTL_CONVERGE,		/* arg: why; converge now */
	CTL_PACKS,		/* arg "am-leader": status 0 iff we hold
				   the lease */
	CTL_PACK_STEP_DOWN,
	CTL_PACK_JOIN,		/* arg: pack name a recipe declared */
	CTL_CHAN_JOIN,		/* arg: #channel */
	CTL_CHAN_PART,		/* arg: #channel */
	CTL_CHANNELS,
	CTL_WHO,		/* arg: #channel */
	CTL_SAY,		/* args: #channel or @node, text */
	CTL_LISTEN,		/* args: #channel or "*", cursor ("" = now);
				   a cursor frame (ctl/ctl_frame.h) */
	CTL_RUN,		/* args: base64 query (agent/query.c); a
				   started frame (ctl/ctl_frame.h) */
	CTL_RUN_POLL,		/* args: query id (hex), cursor; a cursor
				   frame */
	/* Programs (docs/programs.md). */
	CTL_CONVERGE_NODE = 48,	/* args: node name, base64 operator-signed
				   request (cluster/convreq.h) */
	CTL_CONVREQ_POLL,	/* args: cursor, wait ms: converge reports
				   that came back (agent/convreq.c), a
				   cursor frame */
	/* Bucket replicas (docs/backups.md). */
	CTL_BACKUPS_FROM = 56,	/* args: peer, path, time ("" newest),
				   "list" or "get"; status 0: the peer's
				   reply (bucket/replica.h) */
	/* Keys and trust (docs/security.md). */
	CTL_KEYS_EVICT = 64,	/* args: node[, base64 operator statement];
				   without one, the node's id to sign */
	CTL_PACK_ADMIT,		/* args: nodes or "*": "id pack name" lines
				   to sign; "=", statements: keep them */
	/* Services and health (docs/services.md, agent/svc.h). */
	CTL_SVC_DECL = 72,	/* args: "s:name:port[:tags]", "k:check..."
				   a converged recipe declared */
	CTL_SVC_WATCH,		/* args: "query\tdigest" its compile read */
	CTL_SERVICES,		/* every service with instance counts */
	CTL_CATALOG,		/* args: query, ["cbor"]: one answer */
	CTL_CHECKS,		/* this node's checks */
	CTL_CHECK_IN,		/* args: check, status, note (TTL checks) */
	CTL_MAINT,		/* args: "on" [reason] | "off" | none */
	/* Run history (docs/http.md). */
	CTL_HISTORY = 80,	/* args: node ("" here), since (unix s or
				   ""), resource ("" any), limit ("" all) */
	/* Secrets (docs/secrets.md). */
	CTL_MEMBER_KEYS = 88,	/* every member's node key, name and tags
				   (policy/secret.h's member list) */
	CTL_OP_LAST
};

struct ctl_req {
	uint8_t		 op;
	uint8_t		 flags;
	size_t		 nargs;
	const char	*args[CTL_ARGS_MAX];	/* into store, NUL-terminated */
	struct buf	 store;
};

void	ctl_req_init(struct ctl_req *req);
void	ctl_req_release(struct ctl_req *req);

/* Appends an encoded request to out. */
void	ctl_req_encode(uint8_t op, uint8_t flags, int argc,
	    char *const *argv, struct buf *out);
/*
 * Decodes a request frame into req (which must be fresh from
 * ctl_req_init()). TL_ETRUNC, TL_ETOOBIG or TL_EINVAL on bad input.
 */
int	ctl_req_decode(const uint8_t *p, size_t len, struct ctl_req *req);

/*
 * Sends one request to the agent at sock_path and waits up to timeout_ms
 * for the answer: *status gets its status byte and body its text. Returns
 * 0, or < 0 with err ("no agent listening on ...").
 */
int	ctl_call(const char *sock_path, uint8_t op, uint8_t flags, int argc,
	    char *const *argv, uint32_t timeout_ms, int *status,
	    struct buf *body, struct tl_err *err);

#endif
