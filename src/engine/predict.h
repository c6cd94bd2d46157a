#ifndef TLALOC_ENGINE_PREDICT_H
#define TLALOC_ENGINE_PREDICT_H

/*
 * A dry run that predicts. Under --noop nothing is changed, so without
 * help every resource would be judged against the node as it is before
 * the run: a line edit of a file an earlier resource creates fails ("no
 * such file"), a directory owned by a user the run creates fails ("unknown
 * user"), a service whose package the run installs fails ("no service"),
 * and a dry run that fails where the real run succeeds predicts nothing.
 *
 * So a --noop run keeps the state its resources *would* have left: after
 * a resource is checked and has changes, its type records what its fix
 * would make (res_type.predict): a file's bytes, mode and owner; a
 * directory or link; a user or group (with an id the tool would pick
 * stood for by a placeholder); an installed package; a service. The
 * engine's run_lstat()/run_read()/run_uid() family (engine/run.h) looks
 * here before the tree, so later checks see the predicted state, and
 * their changes are the ones the real run would make.
 *
 * Where a prediction cannot be exact (an exec's effects, a package that
 * is not in the index yet, a service whose unit a package would bring),
 * the resource says what it assumed (res_assume), and the report shows it
 * beside the change.
 */

#include <sys/types.h>

#include <stddef.h>

#include "core/buf.h"

enum pred_kind {
	PRED_ABSENT,	/* removed (path), or deleted (account, package) */
	PRED_FILE,	/* path: a regular file */
	PRED_DIR,	/* path: a directory */
	PRED_LINK,	/* path: a symbolic link */
	PRED_EXISTS,	/* path: something an exec makes; content unknown */
	PRED_PRESENT	/* account, package or service: there */
};

/* What one path, account, package or service would be. */
struct pred {
	enum pred_kind	 kind;
	struct buf	 content;	/* FILE, when has_content */
	int		 has_content;
	char		*target;	/* LINK */
	mode_t		 mode;		/* permission bits */
	uid_t		 uid;		/* also: account id */
	gid_t		 gid;
	int		 running;	/* service */
	int		 enabled;	/* service */
	char		*by;		/* the resource that makes it so */
};

/* The name spaces predictions live in. */
enum pred_space { PS_PATH, PS_USER, PS_GROUP, PS_PACKAGE, PS_SERVICE };

struct predict;

/* An empty prediction (nothing changed yet). Free with predict_free(). */
struct predict	*predict_new(void);
void		 predict_free(struct predict *p);

/*
 * The prediction for name in space, or NULL when no earlier resource of
 * the run touches it (the node as it is holds). For a path, a removed
 * parent makes everything below it absent. Borrowed until the next set.
 */
const struct pred *predict_get(const struct predict *p, enum pred_space sp,
		    const char *name);
/* Makes (or remakes) the prediction for name, empty but for kind and by;
 * the caller fills in the rest. */
struct pred	*predict_set(struct predict *p, enum pred_space sp,
		    const char *name, enum pred_kind kind, const char *by);

/*
 * An id for an account the run would create without a fixed one: the
 * tool picks it, so any placeholder will do as long as it is no real
 * account's; names resolve back with predict_id_name().
 */
unsigned long	 predict_new_id(struct predict *p);
/* The user (sp PS_USER) or group (PS_GROUP) a predicted id stands for. */
const char	*predict_id_name(const struct predict *p, enum pred_space sp,
		    unsigned long id);

/* How many predictions there are: 0 before any resource would change. */
size_t		 predict_size(const struct predict *p);
/* Notes that resource ref would run a command (an exec): afterwards
 * anything may have changed, the package index too. */
void		 predict_note_command(struct predict *p, const char *ref);
/* The last command noted, or NULL. */
const char	*predict_last_command(const struct predict *p);
/* The first package (its resource) the run would install, or NULL. */
const char	*predict_any_install(const struct predict *p);

#endif
