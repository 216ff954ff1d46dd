/* SPDX-License-Identifier: MIT */
/* The JSON Lines reader of trace events (trace_json.h): one line into a
 * fixed-size tree, no malloc. */
#include "config.h"

#include "trace_json.h"
#include "utf.h"

#include <stdlib.h>
#include <string.h>

struct parser {
	struct tj_doc *d;
	const char *p, *end;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int new_node(struct parser *ps, enum tj_type type)
{
	struct tj_doc *d = ps->d;

	if (d->n >= TJ_MAX_NODES)
		return -1;
	d->node[d->n] = (struct tj_node){type, -1, -1, NULL, NULL};
	return d->n++;
}

static char *text_put(struct parser *ps, const char *s, size_t len)
{
	struct tj_doc *d = ps->d;
	char *out;

	if (len >= sizeof d->text - d->used)
		return NULL;
	out = d->text + d->used;
	memcpy(out, s, len);
	out[len] = '\0';
	d->used += len + 1;
	return out;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Unescapes a string literal (ps->p at the opening quote) into the text area. */
static const char *parse_string(struct parser *ps)
{
	struct tj_doc *d = ps->d;
	char *start = d->text + d->used, *out = start;
	char *limit = d->text + sizeof d->text - 1;

	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;
		if (out + 4 >= limit || c < 0x20)
			return NULL;
		if (c != '\\') {
			*out++ = (char)c;
			continue;
		}
		if (ps->p >= ps->end)
			return NULL;
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"': case '\\': case '/': *out++ = (char)c; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (ps->end - ps->p < 4 || hex4(ps->p, &cp))
				return NULL;
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
				    hex4(ps->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return NULL;
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return NULL;
			}
			if (cp == 0)
				return NULL;
			out += nipc_utf8_encode(out, cp);
			break;
		}
		default:
			return NULL;
		}
	}
	if (ps->p >= ps->end)
		return NULL;
	ps->p++;
	*out++ = '\0';
	d->used = (size_t)(out - d->text);
	return start;
}

static int parse_value(struct parser *ps);

static int parse_container(struct parser *ps, int self, char close, int is_obj)
{
	struct tj_doc *d = ps->d;
	int last = -1;

	if (++ps->depth > TJ_MAX_DEPTH)
		return -1;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return self;
	}
	for (;;) {
		const char *name = NULL;
		int kid;

		skip_ws(ps);
		if (is_obj) {
			if (ps->p >= ps->end || *ps->p != '"' || !(name = parse_string(ps)))
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return -1;
			ps->p++;
		}
		if ((kid = parse_value(ps)) < 0)
			return -1;
		d->node[kid].name = name;
		if (last < 0)
			d->node[self].child = kid;
		else
			d->node[last].next = kid;
		last = kid;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return -1;
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p != close)
			return -1;
		ps->p++;
		ps->depth--;
		return self;
	}
}

static int parse_number(struct parser *ps, int self)
{
	const char *s = ps->p;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return -1;
	while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' ||
				   *ps->p == 'e' || *ps->p == 'E' || *ps->p == '+' ||
				   *ps->p == '-'))
		ps->p++;
	if (!(ps->d->node[self].text = text_put(ps, s, (size_t)(ps->p - s))))
		return -1;
	return self;
}

static int parse_word(struct parser *ps, int self, const char *word, const char *text)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return -1;
	ps->p += n;
	ps->d->node[self].text = text;
	return self;
}

static int parse_value(struct parser *ps)
{
	int self;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return -1;
	switch (*ps->p) {
	case '{':
		return (self = new_node(ps, TJ_OBJ)) < 0 ? -1 : parse_container(ps, self, '}', 1);
	case '[':
		return (self = new_node(ps, TJ_ARR)) < 0 ? -1 : parse_container(ps, self, ']', 0);
	case '"':
		if ((self = new_node(ps, TJ_STR)) < 0 ||
		    !(ps->d->node[self].text = parse_string(ps)))
			return -1;
		return self;
	case 't':
		return (self = new_node(ps, TJ_BOOL)) < 0 ? -1 : parse_word(ps, self, "true", "true");
	case 'f':
		return (self = new_node(ps, TJ_BOOL)) < 0 ? -1 : parse_word(ps, self, "false", "false");
	case 'n':
		return (self = new_node(ps, TJ_NULL)) < 0 ? -1 : parse_word(ps, self, "null", NULL);
	default:
		return (self = new_node(ps, TJ_NUM)) < 0 ? -1 : parse_number(ps, self);
	}
}

int tj_parse(struct tj_doc *d, const char *s, size_t len)
{
	struct parser ps = {d, s, s + len, 0};

	d->n = 0;
	d->used = 0;
	if (parse_value(&ps) != 0)
		return -1;
	skip_ws(&ps);
	return ps.p == ps.end ? 0 : -1;
}

const struct tj_node *tj_get(const struct tj_doc *d, const struct tj_node *obj,
			     const char *name)
{
	if (!obj || obj->type != TJ_OBJ)
		return NULL;
	for (int i = obj->child; i >= 0; i = d->node[i].next)
		if (!strcmp(d->node[i].name, name))
			return &d->node[i];
	return NULL;
}

const struct tj_node *tj_child(const struct tj_doc *d, const struct tj_node *n)
{
	return n && n->child >= 0 ? &d->node[n->child] : NULL;
}

const struct tj_node *tj_next(const struct tj_doc *d, const struct tj_node *n)
{
	return n && n->next >= 0 ? &d->node[n->next] : NULL;
}

const char *tj_str(const struct tj_node *n)
{
	return n && n->type == TJ_STR ? n->text : NULL;
}

double tj_num(const struct tj_node *n, double dflt)
{
	return n && n->type == TJ_NUM ? strtod(n->text, NULL) : dflt;
}

long long tj_int(const struct tj_node *n, long long dflt)
{
	return n && n->type == TJ_NUM ? strtoll(n->text, NULL, 10) : dflt;
}
