/* Sealed secrets: seal and open, refusals, tampering, filters; redaction. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/redact.h"
#include "net/ident.h"
#include "net/opkey.h"
#include "cluster/swim.h"
#include "policy/secret.h"

struct fixture {
	struct opkey		*op;
	struct ident		*id[3];		/* db-1, db-2, web-1 */
	struct secret_node	 nodes[3];
};

static void
fixture_init(struct fixture *f)
{
	static const char *const names[] = { "db-1", "db-2", "web-1" };
	static const char *const tags[] = { "pack=db", "pack=db", "pack=web" };
	struct tl_err err = TL_ERR_INIT;
	char path[512];

	memset(f, 0, sizeof(*f));
	ASSERT_EQ(opkey_generate(test_dir(), NULL, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/operator.key", test_dir());
	ASSERT((f->op = opkey_load(path, &err)) != NULL);
	for (int i = 0; i < 3; i++) {
		f->id[i] = ident_new_random();
		snprintf(f->nodes[i].name, sizeof(f->nodes[i].name), "%s",
		    names[i]);
		memcpy(f->nodes[i].pk, ident_public(f->id[i]), 32);
		f->nodes[i].tags = strdup(tags[i]);
		f->nodes[i].tags_len = strlen(tags[i]) + 1;
	}
}

static void
fixture_release(struct fixture *f)
{
	opkey_free(f->op);
	for (int i = 0; i < 3; i++) {
		ident_free(f->id[i]);
		free(f->nodes[i].tags);
	}
}

static struct secret *
sealed_for(struct fixture *f, const char *filter, const char *value)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret *s = secret_new("db_password");

	ASSERT_EQ(secret_add_filter(s, filter, &err), 0);
	ASSERT(secret_seal(s, f->op, (const uint8_t *)value, strlen(value),
	    f->nodes, 3, &err) >= 0);
	return s;
}

TEST(secret_opens_on_granted_nodes_only)
{
	struct tl_err err = TL_ERR_INIT;
	struct fixture f;
	struct secret *s;
	struct buf v = BUF_INIT;

	fixture_init(&f);
	s = sealed_for(&f, "pack=db", "correct horse");
	ASSERT_EQ(s->n, 3);	/* two nodes and the operator */
	ASSERT_EQ(secret_open_node(s, f.id[0], "db-1", &v, &err), 0);
	ASSERT_STR_EQ(v.data, "correct horse");
	buf_reset(&v);
	ASSERT_EQ(secret_open_node(s, f.id[1], "db-2", &v, &err), 0);
	ASSERT_STR_EQ(v.data, "correct horse");
	buf_reset(&v);
	ASSERT_EQ(secret_open_node(s, f.id[2], "web-1", &v, &err), TL_EPERM);
	ASSERT_EQ(v.len, 0);
	ASSERT(strstr(err.msg, "'db_password' is not granted") != NULL);
	ASSERT(strstr(err.msg, "'pack=db' (db-1, db-2)") != NULL);
	ASSERT_EQ(secret_open_operator(s, f.op, &v, &err), 0);
	ASSERT_STR_EQ(v.data, "correct horse");
	ASSERT_EQ(secret_verify(s, &err), 0);
	buf_release(&v);
	secret_free(s);
	fixture_release(&f);
}

TEST(secret_file_roundtrip_and_every_flipped_byte_refused)
{
	struct tl_err err = TL_ERR_INIT;
	struct fixture f;
	struct secret *s, *d;
	struct buf img = BUF_INIT, img2 = BUF_INIT, v = BUF_INIT;

	fixture_init(&f);
	s = sealed_for(&f, "db-1,web-1", "s3cret value");
	secret_encode(s, &img);
	ASSERT_EQ(secret_decode((const uint8_t *)img.data, img.len, &d, &err),
	    0);
	secret_encode(d, &img2);
	ASSERT_EQ(img2.len, img.len);
	ASSERT_MEM_EQ(img2.data, img.data, img.len);
	secret_free(d);
	/* No byte can change without decode, open or the signature failing. */
	for (size_t i = 0; i < img.len; i++) {
		int refused = 0;

		img.data[i] ^= 0x20;
		if (secret_decode((const uint8_t *)img.data, img.len, &d,
		    &err) < 0)
			refused = 1;
		else {
			buf_reset(&v);
			refused = secret_verify(d, &err) < 0 ||
			    secret_open_node(d, f.id[0], "db-1", &v, &err) < 0;
			secret_free(d);
		}
		ASSERT_EQ(refused, 1);
		img.data[i] ^= 0x20;
	}
	/* Cut short anywhere: refused, no crash. */
	for (size_t n = 0; n < img.len; n++) {
		ASSERT(secret_decode((const uint8_t *)img.data, n, &d, &err) <
		    0);
		ASSERT(d == NULL);
	}
	buf_release(&v);
	buf_release(&img);
	buf_release(&img2);
	secret_free(s);
	fixture_release(&f);
}

TEST(secret_filters_exclusions_and_gone_nodes)
{
	struct tl_err err = TL_ERR_INIT;
	struct fixture f;
	struct secret *s;

	fixture_init(&f);
	ASSERT_EQ(secret_filter_match("pack=db", &f.nodes[0], &err), 1);
	ASSERT_EQ(secret_filter_match("pack=db", &f.nodes[2], &err), 0);
	ASSERT_EQ(secret_filter_match("name=^web-", &f.nodes[2], &err), 1);
	ASSERT_EQ(secret_filter_match("db-2,web-1", &f.nodes[1], &err), 1);
	ASSERT_EQ(secret_filter_match("db-2,web-1", &f.nodes[0], &err), 0);
	ASSERT_EQ(secret_filter_match("db", &f.nodes[0], &err), 0);
	ASSERT(secret_filter_match("bogus=1", &f.nodes[0], &err) < 0);
	s = secret_new("k");
	ASSERT_EQ(secret_add_filter(s, "pack=db", &err), 0);
	ASSERT_EQ(secret_add_filter(s, "!db-2", &err), 0);
	f.nodes[0].is_gone = 1;
	/* db-1 failed, db-2 excluded: nobody but the operator. */
	ASSERT_EQ(secret_seal(s, f.op, (const uint8_t *)"abcd", 4, f.nodes, 3,
	    &err), 0);
	ASSERT_EQ(s->n, 1);
	ASSERT_EQ(secret_remove_filter(s, "!db-2"), 1);
	ASSERT_EQ(secret_seal(s, f.op, (const uint8_t *)"abcd", 4, f.nodes, 3,
	    &err), 1);
	ASSERT_STR_EQ(s->r[0].name, "db-2");
	ASSERT_EQ(s->serial, 2);
	/* Too short to mask: refused. */
	ASSERT_EQ(secret_seal(s, f.op, (const uint8_t *)"abc", 3, f.nodes, 3,
	    &err), TL_EINVAL);
	ASSERT(!secret_name_valid("../x"));
	ASSERT(!secret_name_valid(".x"));
	ASSERT(secret_name_valid("db.password-1"));
	secret_free(s);
	fixture_release(&f);
}

TEST(secret_member_list_roundtrip)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	struct secret_node *v;
	uint8_t id[32];
	struct swim_member m;

	memset(id, 7, sizeof(id));
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.name = "db-1";
	m.tags = "pack=db\0role=x";
	m.tags_len = 15;
	secret_members_begin(&b);
	secret_members_add(&b, &m);
	m.name = "db-2";
	m.status = SWIM_DEAD;
	secret_members_add(&b, &m);
	ASSERT_EQ(secret_members_decode((const uint8_t *)b.data, b.len, &v,
	    &err), 2);
	ASSERT_STR_EQ(v[1].name, "db-2");
	ASSERT_EQ(v[0].is_gone, 0);
	ASSERT_EQ(v[1].is_gone, 1);
	ASSERT_EQ(secret_filter_match("tag:role=x", &v[0], &err), 1);
	secret_nodes_free(v, 2);
	ASSERT(secret_members_decode((const uint8_t *)b.data, b.len - 1, &v,
	    &err) < 0);
	buf_release(&b);
}

TEST(redact_masks_values_and_their_lines)
{
	struct buf b = BUF_INIT;
	char *s;

	redact_add("pa55word", 8);
	redact_add("line-one\nline-two\nab", 20);
	buf_addstr(&b, "x pa55word y\n+line-two\n ab stays");
	redact_buf(&b);
	ASSERT_STR_EQ(b.data, "x [sensitive] y\n+[sensitive]\n ab stays");
	ASSERT(redact_contains("..pa55word..", 12));
	ASSERT(!redact_contains("pa55wor", 7));
	s = redact_str("pa55wordpa55word");
	ASSERT_STR_EQ(s, "[sensitive][sensitive]");
	free(s);
	redact_clear();
	ASSERT(redact_empty());
	buf_release(&b);
}
