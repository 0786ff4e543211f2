/*
 * ui.c - `huce ui [--port N] [--no-browser]`: the cadre's web app.
 *
 * Opens the store and the checklists, loads the HTTP module
 * (huce-ui.so, ui_http.h), listens on 127.0.0.1 (a free port unless
 * --port), makes the session's secrets, prints the URL with the secret
 * as the last line of stdout, opens it in the default browser
 * (xdg-open) unless --no-browser, and serves until SIGINT or SIGTERM.
 * Signals are taken by sigwait() in this thread: the module's thread
 * and the sync thread are started with them blocked.
 */
#include "ui.h"

#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "huce_crypto.h"
#include "huce_util.h"

extern char **environ;

static const char ui_usage[] =
N_("usage: huce ui [--port N] [--no-browser]\n"
"Serve the web app (户厕验收) over this laptop's store on 127.0.0.1 only,\n"
"in Chinese (English when the browser asks for it first).  The URL it\n"
"prints last carries this session's secret: open it in a browser on this\n"
"laptop (it is opened for you unless --no-browser).  --port N listens on\n"
"port N (default: a free port).  Ctrl-C stops it.\n");

static int random_hex(char *out)
{
	unsigned char b[32];

	if (huce_random_bytes(b, sizeof(b)))
		return -1;
	huce_hex(b, sizeof(b), out);
	return 0;
}

/* xdg-open URL, detached, quiet; a missing browser is only a message. */
static void open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"xdg-open", (char *)url, NULL };
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		fprintf(stderr, _("huce: cannot start xdg-open: open the URL below in a browser\n"));
	posix_spawn_file_actions_destroy(&fa);
}

/*
 * The web app's answers in the "C" locale: its JSON, and the messages of
 * the domain layer in it, stay as they are whatever the terminal's
 * language (the pages choose their language from the browser's, and
 * api.c finds an error's form field in its English words).  Requests are
 * served on the module's thread, which takes this locale per call.
 */
struct ui_c_locale {
	struct ui *u;
	locale_t c;
};

static void handle_in_c(void *ctx, const struct huce_ui_request *rq,
			struct huce_ui_response *rs)
{
	struct ui_c_locale *w = ctx;
	locale_t was = uselocale(w->c);

	ui_handle(w->u, rq, rs);
	uselocale(was);
}

static int load_module(const struct huce_ui_http **out)
{
	char path[PATH_MAX + 64];
	const struct huce_ui_http *m =
		cli_module_load(_("web"), HUCE_UI_HTTP_FILE, HUCE_UI_HTTP_SYMBOL,
				path, sizeof(path));

	if (!m)
		return huce_err_exit(HUCE_EIO);
	if (m->abi != HUCE_UI_HTTP_ABI || strcmp(m->version, HUCE_VERSION) != 0 ||
	    m->request_size != sizeof(struct huce_ui_request) ||
	    m->response_size != sizeof(struct huce_ui_response) ||
	    m->error_size != sizeof(struct huce_error))
		return cli_error(HUCE_EIO, _("web module '%s' is from another build of "
				 "huce (module %s, huce %s): reinstall huce"),
				 path, m->version, HUCE_VERSION);
	*out = m;
	return 0;
}

int cmd_ui(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "no-browser", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const struct huce_ui_http *m = NULL;
	struct huce_ui_server *srv = NULL;
	struct ui u = { .c = c };
	struct ui_c_locale in_c = { .u = &u };
	sigset_t sigs, old;
	int64_t port = 0;
	int browser = 1, ch, r, sig;
	char url[128];
	enum huce_err rc;

	while ((ch = cli_getopt(argc, argv, opts, NULL, ui_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'n') {
			browser = 0;
		} else if (ch == 'p') {
			if (huce_parse_i64(optarg, &port) || port < 0 || port > 65535)
				return cli_usage(ui_usage, _("--port takes a port number (0..65535)"));
		}
	}
	if (optind != argc)
		return cli_usage(ui_usage, _("unexpected argument '%s'"), argv[optind]);
	r = load_module(&m);
	if (r)
		return r;
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_checklists_load(&u.cl, c->checklists_dir, &c->err);
	if (rc)
		return cli_fail(c, rc);
	if (random_hex(u.secret) || random_hex(u.session) || random_hex(u.csrf)) {
		huce_checklists_free(u.cl);
		return cli_error(HUCE_EIO, _("cannot read random bytes for the session secret"));
	}
	in_c.c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!in_c.c) {
		huce_checklists_free(u.cl);
		return cli_error(HUCE_ENOMEM, _("out of memory"));
	}
	huce_buf_init(&u.out, (size_t)64 << 20);
	pthread_mutex_init(&u.mu, NULL);
	/* Every thread started from here on inherits the blocked signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	signal(SIGPIPE, SIG_IGN);
	rc = m->start((unsigned)port, handle_in_c, &in_c, &srv, &u.port, &c->err);
	if (rc) {
		r = cli_fail(c, rc);
		goto out;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/?s=%s", u.port, u.secret);
	printf(_("huce ui: serving %s on 127.0.0.1:%u (Ctrl-C to stop)\n"), c->db_path, u.port);
	printf(_("open this address in a browser on this laptop (it carries this session's secret):\n"));
	printf("%s\n", url);
	fflush(stdout);
	if (browser)
		open_browser(url);
	while (sigwait(&sigs, &sig) != 0)
		;
	fprintf(stderr, _("huce ui: stopping\n"));
	r = 0;
out:
	m->stop(srv);
	ui_sync_join(&u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_destroy(&u.mu);
	huce_buf_release(&u.out);
	huce_checklists_free(u.cl);
	freelocale(in_c.c);
	huce_photo_folder_release(&u.imp);
	return r;
}
