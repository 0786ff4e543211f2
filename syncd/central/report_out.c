/*
 * report_out.c - one report document (report.h) written as text, CSV,
 * HTML or XLSX.
 *
 * Every format carries the same cells in the same order, so a figure
 * checked in one is the figure in the others:
 *
 *   text  each section as "== name ==", a header line and tab-separated
 *         lines; "-" for a cell not known.
 *   csv   UTF-8 with a byte order mark (spreadsheet programs on Chinese
 *         Windows read the Chinese headers right only with it), CRLF,
 *         RFC 4180 quoting.  The first section starts at the first line
 *         (its header); each further one after an empty line and a line
 *         with its name.  Rates as "75.0%", which spreadsheets read as
 *         percent.
 *   html  one self-contained page (inline CSS and SVG, no script, no
 *         outside assets): the title, the bars of progress against
 *         target per village, the red and black lists, then the tables;
 *         readable on a phone (the tables scroll sideways) and printed
 *         on A4 landscape with the table headers repeated.
 *   xlsx  libxlsxwriter: a sheet per section named by it, a title row,
 *         the header row frozen and repeated on every printed page,
 *         counts as numbers ("0"), rates as percent ("0.0%"), column
 *         widths from the widest cell (a Chinese character counts two),
 *         A4 landscape fitted to the page width.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

/* --- the document ---------------------------------------------------------- */

void report_doc_init(struct report_doc *d, const char *title,
		     const char *period)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->title, sizeof(d->title), "%s", title ? title : "");
	snprintf(d->period, sizeof(d->period), "%s", period ? period : "");
}

void report_doc_release(struct report_doc *d)
{
	for (size_t i = 0; i < d->ntables; i++) {
		cJSON_Delete(d->tables[i].rows);
		cJSON_Delete(d->tables[i].classes);
	}
	cJSON_Delete(d->bars);
	cJSON_Delete(d->lists);
	memset(d, 0, sizeof(*d));
}

struct report_table *report_doc_table(struct report_doc *d, const char *name,
				      const struct report_col *cols,
				      size_t ncols)
{
	struct report_table *t;

	if (d->ntables >= REPORT_TABLES_MAX) {
		d->oom = 1;
		return NULL;
	}
	t = &d->tables[d->ntables];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->cols = cols;
	t->ncols = ncols;
	t->rows = cJSON_CreateArray();
	if (!t->rows) {
		d->oom = 1;
		return NULL;
	}
	d->ntables++;
	return t;
}

cJSON *report_table_row(struct report_doc *d, struct report_table *t,
			const char *cls)
{
	cJSON *row;

	if (!t)
		return NULL;
	row = cJSON_CreateArray();
	if (!row || !cJSON_AddItemToArray(t->rows, row)) {
		cJSON_Delete(row);
		d->oom = 1;
		return NULL;
	}
	if (cls && !t->classes) {
		/* earlier rows had no class */
		t->classes = cJSON_CreateArray();
		for (int i = 0; t->classes && i < cJSON_GetArraySize(t->rows) - 1; i++)
			cJSON_AddItemToArray(t->classes, cJSON_CreateNull());
	}
	if (t->classes &&
	    !cJSON_AddItemToArray(t->classes, cls ? cJSON_CreateString(cls)
						  : cJSON_CreateNull()))
		d->oom = 1;
	if (cls && !t->classes)
		d->oom = 1;
	return row;
}

static void add_cell(struct report_doc *d, cJSON *row, cJSON *cell)
{
	if (!row || !cell || !cJSON_AddItemToArray(row, cell)) {
		cJSON_Delete(cell);
		d->oom = 1;
	}
}

void report_cell_text(struct report_doc *d, cJSON *row, const char *s)
{
	add_cell(d, row, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

void report_cell_int(struct report_doc *d, cJSON *row, long long v)
{
	add_cell(d, row, v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)v));
}

void report_cell_num(struct report_doc *d, cJSON *row, double v)
{
	add_cell(d, row, cJSON_CreateNumber(v));
}

void report_cell_rate(struct report_doc *d, cJSON *row, double v)
{
	add_cell(d, row, v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v));
}

/* A cell as text ("" for null): counts whole, rates as percent. */
static void cell_str(const cJSON *c, enum report_kind kind, char *out,
		     size_t n, const char **str)
{
	*str = NULL;
	out[0] = '\0';
	if (cJSON_IsString(c)) {
		*str = c->valuestring;
		return;
	}
	if (!cJSON_IsNumber(c))
		return;
	switch (kind) {
	case REPORT_PCT:
		snprintf(out, n, "%.1f%%", c->valuedouble * 100.0);
		break;
	case REPORT_NUM:
		snprintf(out, n, "%.6g", c->valuedouble);
		break;
	default:
		snprintf(out, n, "%lld", (long long)c->valuedouble);
		break;
	}
	*str = out;
}

/* --- text ------------------------------------------------------------------ */

enum huce_err report_doc_text(const struct report_doc *d, struct huce_buf *b)
{
	huce_buf_printf(b, "%s  %s\n", d->title, d->period);
	for (size_t i = 0; i < d->ntables; i++) {
		const struct report_table *t = &d->tables[i];
		const cJSON *row;

		huce_buf_printf(b, "\n== %s ==\n", t->name);
		for (size_t k = 0; k < t->ncols; k++)
			huce_buf_printf(b, "%s%s", k ? "\t" : "", t->cols[k].title);
		huce_buf_addstr(b, "\n");
		cJSON_ArrayForEach(row, t->rows) {
			size_t k = 0;
			const cJSON *c;

			cJSON_ArrayForEach(c, row) {
				char tmp[64];
				const char *s;

				cell_str(c, k < t->ncols ? t->cols[k].kind : REPORT_TEXT,
					 tmp, sizeof(tmp), &s);
				huce_buf_printf(b, "%s%s", k ? "\t" : "", s ? s : "-");
				k++;
			}
			huce_buf_addstr(b, "\n");
		}
	}
	if (d->note)
		huce_buf_printf(b, "\n%s\n", d->note);
	return b->err;
}

/* --- CSV ------------------------------------------------------------------- */

/* One CSV cell, quoted when it must be (RFC 4180). */
static void csv_cell(struct huce_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		huce_buf_addstr(b, s);
		return;
	}
	huce_buf_addstr(b, "\"");
	for (const char *p = s; *p; p++)
		if (*p == '"')
			huce_buf_addstr(b, "\"\"");
		else
			huce_buf_add(b, p, 1);
	huce_buf_addstr(b, "\"");
}

enum huce_err report_doc_csv(const struct report_doc *d, struct huce_buf *b)
{
	huce_buf_addstr(b, "\xef\xbb\xbf");
	for (size_t i = 0; i < d->ntables; i++) {
		const struct report_table *t = &d->tables[i];
		const cJSON *row;

		if (i) {
			huce_buf_addstr(b, "\r\n");
			csv_cell(b, t->name);
			huce_buf_addstr(b, "\r\n");
		}
		for (size_t k = 0; k < t->ncols; k++) {
			if (k)
				huce_buf_addstr(b, ",");
			csv_cell(b, t->cols[k].title);
		}
		huce_buf_addstr(b, "\r\n");
		cJSON_ArrayForEach(row, t->rows) {
			size_t k = 0;
			const cJSON *c;

			cJSON_ArrayForEach(c, row) {
				char tmp[64];
				const char *s;

				cell_str(c, k < t->ncols ? t->cols[k].kind : REPORT_TEXT,
					 tmp, sizeof(tmp), &s);
				if (k)
					huce_buf_addstr(b, ",");
				if (s)
					csv_cell(b, s);
				k++;
			}
			huce_buf_addstr(b, "\r\n");
		}
	}
	return b->err;
}

/* --- HTML ------------------------------------------------------------------ */

static void html_text(struct huce_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '<': huce_buf_addstr(b, "&lt;"); break;
		case '>': huce_buf_addstr(b, "&gt;"); break;
		case '&': huce_buf_addstr(b, "&amp;"); break;
		case '"': huce_buf_addstr(b, "&quot;"); break;
		default: huce_buf_add(b, p, 1); break;
		}
	}
}

static const char html_style[] =
	"*{box-sizing:border-box}"
	"body{margin:0 auto;max-width:1100px;padding:12px;color:#222;"
	"font:15px/1.45 \"Noto Sans CJK SC\",\"Source Han Sans SC\","
	"\"PingFang SC\",\"Microsoft YaHei\",sans-serif,\"SimSun-ExtB\",\"HanaMinB\"}"
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}"
	".period{color:#555;margin:0 0 .8em}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;font-size:13px;white-space:nowrap}"
	"th,td{border:1px solid #999;padding:3px 6px}"
	"th{background:#e8eef6;font-weight:600}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.c td{background:#fee}tr.t td{font-weight:600;background:#f4f4f4}"
	"tr.red td{background:#fde8e8}tr.black td{background:#e6e6e6}"
	"svg{display:block;width:100%;max-width:760px;height:auto}"
	".lists{display:flex;flex-wrap:wrap;gap:12px}"
	".list{flex:1 1 280px;border:2px solid;border-radius:6px;padding:6px 10px}"
	".list.red{border-color:#c0392b}.list.black{border-color:#222}"
	".list h3{margin:.2em 0;font-size:1em}.list.red h3{color:#c0392b}"
	".list ol{margin:.2em 0;padding-left:1.4em}.list li{margin:.2em 0}"
	".why{color:#555;font-size:.9em}.note{color:#555;font-size:.85em}"
	"@media (max-width:600px){body{padding:8px;font-size:14px}"
	"table{font-size:12px}}"
	"@page{size:A4 landscape;margin:10mm}"
	"@media print{body{max-width:none;padding:0;font-size:10pt}"
	".scroll{overflow:visible}table{font-size:8pt;white-space:normal}"
	"thead{display:table-header-group}tr,svg,.list{break-inside:avoid}"
	"h2{break-after:avoid}}";

/* Progress against target: one bar per village (target grey, done green). */
static void html_bars(const struct report_doc *d, struct huce_buf *b)
{
	const int bar_h = 28, top = 24, label_w = 104, area = 270;
	int n = cJSON_GetArraySize(d->bars), i = 0, h;
	double max = 1;
	const cJSON *e;

	cJSON_ArrayForEach(e, d->bars) {
		double t = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 1));
		double v = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 2));

		if (t > max)
			max = t;
		if (v > max)
			max = v;
	}
	h = top + n * bar_h + 8;
	huce_buf_printf(b, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
			"viewBox=\"0 0 %d %d\" role=\"img\" font-size=\"15\">\n",
			d->bars_title ? d->bars_title : "进度", label_w + area + 140, h);
	huce_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" "
			"fill=\"#d5d8dc\"/><text x=\"%d\" y=\"16\">目标</text>"
			"<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"#2e8b57\"/>"
			"<text x=\"%d\" y=\"16\">完成</text>\n", label_w, label_w + 16,
			label_w + 64, label_w + 80);
	cJSON_ArrayForEach(e, d->bars) {
		const char *label = cJSON_GetStringValue(cJSON_GetArrayItem(e, 0));
		double t = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 1));
		double v = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 2));
		int y = top + i * bar_h;
		int tw = (int)(t / max * area + 0.5), vw = (int)(v / max * area + 0.5);

		huce_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
				label_w - 6, y + 18);
		html_text(b, label ? label : "");
		huce_buf_printf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"22\" fill=\"#d5d8dc\"/>", label_w, y + 3, tw);
		huce_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" "
				"fill=\"%s\"/>", label_w, y + 8, vw,
				t > 0 && v < t ? "#e67e22" : "#2e8b57");
		if (t > 0)
			huce_buf_printf(b, "<text x=\"%d\" y=\"%d\">%.0f / %.0f（%.0f%%）"
					"</text>\n", label_w + (tw > vw ? tw : vw) + 6,
					y + 19, v, t, v / t * 100.0);
		else
			huce_buf_printf(b, "<text x=\"%d\" y=\"%d\">%.0f / 无目标</text>\n",
					label_w + vw + 6, y + 19, v);
		i++;
	}
	huce_buf_addstr(b, "</svg>\n");
}

/* The red and black lists, side by side (stacked on a phone). */
static void html_lists(const struct report_doc *d, struct huce_buf *b)
{
	static const char *const kinds[2][2] = {
		{ "red", "红榜" }, { "black", "黑榜" },
	};

	huce_buf_addstr(b, "<h2>红黑榜</h2>\n<div class=\"lists\">\n");
	for (int k = 0; k < 2; k++) {
		const cJSON *e;
		int any = 0;

		huce_buf_printf(b, "<div class=\"list %s\"><h3>%s</h3><ol>",
				kinds[k][0], kinds[k][1]);
		cJSON_ArrayForEach(e, d->lists) {
			const char *list = cJSON_GetStringValue(cJSON_GetArrayItem(e, 0));
			const char *v = cJSON_GetStringValue(cJSON_GetArrayItem(e, 1));
			const cJSON *rate = cJSON_GetArrayItem(e, 3);
			const char *why = cJSON_GetStringValue(cJSON_GetArrayItem(e, 4));

			if (!list || strcmp(list, kinds[k][0]) != 0)
				continue;
			any = 1;
			huce_buf_printf(b, "<li value=\"%d\"><b>",
					(int)cJSON_GetNumberValue(cJSON_GetArrayItem(e, 2)));
			html_text(b, v ? v : "");
			huce_buf_addstr(b, "</b>");
			if (cJSON_IsNumber(rate))
				huce_buf_printf(b, " %.1f%%", rate->valuedouble * 100.0);
			huce_buf_addstr(b, "<br><span class=\"why\">");
			html_text(b, why ? why : "");
			huce_buf_addstr(b, "</span></li>");
		}
		huce_buf_printf(b, "</ol>%s</div>\n", any ? "" : "<p>（无）</p>");
	}
	huce_buf_addstr(b, "</div>\n");
}

enum huce_err report_doc_html(const struct report_doc *d, struct huce_buf *b)
{
	huce_buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>"
			"<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
			"content=\"width=device-width, initial-scale=1\">\n<title>");
	html_text(b, d->title);
	huce_buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>",
			html_style);
	html_text(b, d->title);
	huce_buf_addstr(b, "</h1>\n<p class=\"period\">");
	html_text(b, d->period);
	huce_buf_addstr(b, "</p>\n");
	if (d->bars)
		html_bars(d, b);
	if (d->lists)
		html_lists(d, b);
	for (size_t i = 0; i < d->ntables; i++) {
		const struct report_table *t = &d->tables[i];
		const cJSON *row;
		int r = 0;

		huce_buf_addstr(b, "<h2>");
		html_text(b, t->name);
		huce_buf_addstr(b, "</h2>\n<div class=\"scroll\"><table>\n<thead><tr>");
		for (size_t k = 0; k < t->ncols; k++) {
			huce_buf_addstr(b, "<th>");
			html_text(b, t->cols[k].title);
			huce_buf_addstr(b, "</th>");
		}
		huce_buf_addstr(b, "</tr></thead>\n<tbody>\n");
		cJSON_ArrayForEach(row, t->rows) {
			const char *cls = cJSON_GetStringValue(cJSON_GetArrayItem(t->classes, r++));
			const cJSON *c;
			size_t k = 0;

			if (cls)
				huce_buf_printf(b, "<tr class=\"%s\">", cls);
			else
				huce_buf_addstr(b, "<tr>");
			cJSON_ArrayForEach(c, row) {
				enum report_kind kind = k < t->ncols ? t->cols[k].kind
								     : REPORT_TEXT;
				char tmp[64];
				const char *s;

				cell_str(c, kind, tmp, sizeof(tmp), &s);
				huce_buf_addstr(b, kind == REPORT_TEXT ? "<td>" : "<td class=\"n\">");
				html_text(b, s ? s : "-");
				huce_buf_addstr(b, "</td>");
				k++;
			}
			huce_buf_addstr(b, "</tr>\n");
		}
		huce_buf_addstr(b, "</tbody></table></div>\n");
	}
	if (d->note) {
		huce_buf_addstr(b, "<p class=\"note\">");
		html_text(b, d->note);
		huce_buf_addstr(b, "</p>\n");
	}
	huce_buf_addstr(b, "</body>\n</html>\n");
	return b->err;
}

/* --- XLSX ------------------------------------------------------------------ */

/* Display width of UTF-8 text: an ASCII character 1, any other 2. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w++;
		else if ((*p & 0xc0) != 0x80)
			w += 2;
	}
	return w;
}

struct xlsx_formats {
	lxw_format *title, *head, *text, *count, *num, *pct;
};

/* One section as a sheet. */
static lxw_error xlsx_sheet(lxw_workbook *wb, const struct report_doc *d,
			    const struct report_table *t,
			    const struct xlsx_formats *f)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, t->name);
	size_t widths[64] = { 0 };
	size_t ncols = t->ncols < 64 ? t->ncols : 64;
	const cJSON *row;
	lxw_row_t r = 2;
	lxw_error e = LXW_NO_ERROR;
	char header[400];

	if (!ws)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	/* row 0: the title; row 1: the header, frozen and printed on every page */
	e = worksheet_write_string(ws, 0, 0, d->title, f->title);
	if (!e && d->period[0])
		e = worksheet_write_string(ws, 0, ncols > 3 ? 3 : 1, d->period, f->text);
	for (size_t k = 0; !e && k < ncols; k++) {
		e = worksheet_write_string(ws, 1, (lxw_col_t)k, t->cols[k].title, f->head);
		widths[k] = text_width(t->cols[k].title);
	}
	cJSON_ArrayForEach(row, t->rows) {
		const cJSON *c;
		size_t k = 0;

		cJSON_ArrayForEach(c, row) {
			enum report_kind kind;
			char tmp[64];
			const char *s;

			if (e || k >= ncols)
				break;
			kind = t->cols[k].kind;
			cell_str(c, kind, tmp, sizeof(tmp), &s);
			if (s && text_width(s) > widths[k])
				widths[k] = text_width(s);
			if (cJSON_IsString(c))
				e = worksheet_write_string(ws, r, (lxw_col_t)k, c->valuestring,
							   f->text);
			else if (cJSON_IsNumber(c))
				e = worksheet_write_number(ws, r, (lxw_col_t)k, c->valuedouble,
							   kind == REPORT_PCT ? f->pct :
							   kind == REPORT_NUM ? f->num : f->count);
			else
				e = worksheet_write_blank(ws, r, (lxw_col_t)k, f->text);
			k++;
		}
		r++;
	}
	for (size_t k = 0; !e && k < ncols; k++) {
		size_t w = widths[k] + 2;

		e = worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k,
					 (double)(w < 6 ? 6 : w > 60 ? 60 : w), NULL);
	}
	if (e)
		return e;
	worksheet_freeze_panes(ws, 2, 0);
	worksheet_set_paper(ws, 9);		/* A4 */
	worksheet_set_landscape(ws);
	worksheet_fit_to_pages(ws, 1, 0);	/* one page wide, as long as it takes */
	worksheet_set_margins(ws, 0.4, 0.4, 0.6, 0.6);
	worksheet_center_horizontally(ws);
	/* "&" starts a code in a header: the title has none of ours doubled */
	snprintf(header, sizeof(header), "&C%s %s", d->title, t->name);
	if (!strchr(header + 2, '&'))
		worksheet_set_header(ws, header);
	worksheet_set_footer(ws, "&C&P / &N");
	return worksheet_repeat_rows(ws, 1, 1);
}

/* fsync the file at path, or of the directory holding it. */
static int sync_path(const char *path, int dir)
{
	char d[4096];
	int fd, rc;

	if (dir) {
		const char *slash = strrchr(path, '/');

		if (!slash)
			snprintf(d, sizeof(d), ".");
		else if (slash == path)
			snprintf(d, sizeof(d), "/");
		else
			snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path);
		path = d;
	}
	fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

enum huce_err report_doc_xlsx(const struct report_doc *d, const char *path,
			      struct huce_error *err)
{
	char tmp[4200];
	lxw_workbook *wb;
	lxw_doc_properties props = { 0 };
	struct xlsx_formats f;
	lxw_error e = LXW_NO_ERROR;

	if (d->oom)
		return huce_fail(err, HUCE_ENOMEM, "out of memory");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid())
	    >= sizeof(tmp))
		return huce_fail(err, HUCE_EIO, "cannot write '%s': name too long", path);
	wb = workbook_new(tmp);
	if (!wb)
		return huce_fail(err, HUCE_EIO, "cannot write '%s': cannot start "
				 "the workbook", path);
	props.title = (char *)d->title;
	props.subject = (char *)d->period;
	props.author = (char *)"huce-syncd";
	workbook_set_properties(wb, &props);
	f.title = workbook_add_format(wb);
	f.head = workbook_add_format(wb);
	f.text = workbook_add_format(wb);
	f.count = workbook_add_format(wb);
	f.num = workbook_add_format(wb);
	f.pct = workbook_add_format(wb);
	if (!f.title || !f.head || !f.text || !f.count || !f.num || !f.pct) {
		e = LXW_ERROR_MEMORY_MALLOC_FAILED;
	} else {
		format_set_bold(f.title);
		format_set_font_size(f.title, 14);
		format_set_bold(f.head);
		format_set_bg_color(f.head, 0xE8EEF6);
		format_set_border(f.head, LXW_BORDER_THIN);
		format_set_align(f.head, LXW_ALIGN_CENTER);
		format_set_align(f.head, LXW_ALIGN_VERTICAL_CENTER);
		format_set_text_wrap(f.head);
		format_set_border(f.text, LXW_BORDER_THIN);
		format_set_border(f.count, LXW_BORDER_THIN);
		format_set_num_format(f.count, "0");
		format_set_border(f.num, LXW_BORDER_THIN);
		format_set_num_format(f.num, "0.000");
		format_set_border(f.pct, LXW_BORDER_THIN);
		format_set_num_format(f.pct, "0.0%");
	}
	for (size_t i = 0; !e && i < d->ntables; i++)
		e = xlsx_sheet(wb, d, &d->tables[i], &f);
	if (e) {
		/* close to free it; the half-written file is removed below */
		workbook_close(wb);
		unlink(tmp);
		return huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path,
				 lxw_strerror(e));
	}
	e = workbook_close(wb);
	if (e) {
		unlink(tmp);
		return huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path,
				 lxw_strerror(e));
	}
	if (sync_path(tmp, 0) != 0 || rename(tmp, path) != 0) {
		int saved = errno;

		unlink(tmp);
		return huce_fail(err, HUCE_EIO, "cannot write '%s': %s", path,
				 strerror(saved));
	}
	sync_path(path, 1);
	return HUCE_OK;
}
