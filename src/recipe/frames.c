/*
 * Where a recipe error (or a declaration) happened, said the way the user
 * wrote the recipe. Lua names the innermost frame: inside a helper
 * function (a role, a "vhost(name, port)" wrapper in lib/web.lua), that is
 * the helper's line, the same for every call, while what the user wants
 * to fix is usually the call. So the position given is the innermost
 * frame that runs the top level of a recipe file (its main chunk), and
 * the helper's own line follows as context:
 *
 *   site.lua:12: 'mode' must be an octal mode ... (in vhost, lib/web.lua:4)
 *
 * Frames of chunks tlaloc itself loads (their names start with '=') are
 * never named. A message that already carries another position (a
 * template's file:line:column, a syntax error in an included file) keeps
 * it, and the recipe's position follows as context.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "recipe/recipe_int.h"

#define FRAMES_MAX	200	/* deepest stack walked; arbitrary */

/* Copies s into out[sz], cut to fit; returns the length copied. Not
 * snprintf: every declaration passes here (recipe_where), and the format
 * parser was most of its cost. */
static size_t
copy_cut(char *out, size_t sz, const char *s)
{
	size_t n = strlen(s);

	if (n >= sz)
		n = sz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

/* A frame's "file:line", or "" for frames that are not recipe code. */
static void
frame_pos(const lua_Debug *ar, char *out, size_t sz)
{
	char num[16], *p = num + sizeof(num);
	size_t n;

	out[0] = '\0';
	if (ar->currentline <= 0 || ar->source[0] != '@')
		return;
	*--p = '\0';
	for (int v = ar->currentline; v > 0; v /= 10)
		*--p = (char)('0' + v % 10);
	*--p = ':';
	n = copy_cut(out, sz, ar->source + 1);
	copy_cut(out + n, sz - n, p);
}

void
recipe_frames(lua_State *L, int level, struct recipe_frames *f)
{
	lua_Debug ar;
	char pos[sizeof(f->outer)];

	memset(f, 0, sizeof(*f));
	for (int i = level; i < level + FRAMES_MAX && lua_getstack(L, i, &ar);
	    i++) {
		if (lua_getinfo(L, "Sln", &ar) == 0)
			break;
		frame_pos(&ar, pos, sizeof(pos));
		if (pos[0] == '\0')
			continue;
		if (f->inner[0] == '\0') {
			memcpy(f->inner, pos, sizeof(pos));
			copy_cut(f->func, sizeof(f->func),
			    ar.name != NULL ? ar.name : "a function");
		}
		if (strcmp(ar.what, "main") == 0) {
			memcpy(f->outer, pos, sizeof(pos));
			break;
		}
	}
	if (f->outer[0] == '\0')
		memcpy(f->outer, f->inner, sizeof(f->outer));
	f->via_helper = strcmp(f->outer, f->inner) != 0;
}

/* Does msg start with "pos: "? */
static int
starts_with_pos(const char *msg, const char *pos)
{
	size_t n = strlen(pos);

	return n > 0 && strncmp(msg, pos, n) == 0 && msg[n] == ':' &&
	    msg[n + 1] == ' ';
}

int
recipe_msgh(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	struct recipe_frames f;
	struct buf b = BUF_INIT;

	if (msg == NULL)
		return 1;	/* not a string: left as it is */
	recipe_frames(L, 1, &f);
	if (f.outer[0] == '\0')
		return 1;
	if (starts_with_pos(msg, f.inner)) {
		msg += strlen(f.inner) + 2;
		buf_addf(&b, "%s: %s", f.outer, msg);
		if (f.via_helper)
			buf_addf(&b, " (in %s, %s)", f.func, f.inner);
	} else if (strncmp(msg, f.outer, strlen(f.outer)) != 0) {
		/* Positioned elsewhere (a template, an included file): that
		 * position stays first, the recipe's follows. */
		buf_addf(&b, "%s (from %s)", msg, f.outer);
	} else {
		buf_addstr(&b, msg);
	}
	lua_pushlstring(L, b.data, b.len);
	buf_release(&b);
	return 1;
}

void
recipe_where(lua_State *L, char *out, size_t sz)
{
	struct recipe_frames f;

	recipe_frames(L, 1, &f);
	if (f.via_helper)
		snprintf(out, sz, "%s (in %s, %s)", f.outer, f.func, f.inner);
	else
		copy_cut(out, sz, f.outer);
}
