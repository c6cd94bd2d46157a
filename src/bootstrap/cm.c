/*
 * The puppet and chef kinds: a manifest and a recipe that install and start
 * tlaloc, for sites migrating from those tools. They declare the same
 * files the installer writes (keyring 0600 and never shown in diffs or
 * logs, trust files, agent.conf with the node's address from the tool's own
 * facts, the service definition) and a running, enabled service.
 */
#include "bootstrap/bootstrap_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define ADVERTISE_TOKEN	"@ADVERTISE@"

/* Text inside a single-quoted Puppet or Ruby string: \ and ' escaped. */
static void
add_squoted(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\'')
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
}

static void
config_for(const struct bs_ctx *c, struct buf *out)
{
	const struct bs_layout *l = bs_layout("systemd");
	struct buf paths = BUF_INIT;
	struct bootstrap_node n;

	bs_node_from_opts(c, l->etc, l->state, &paths, &n);
	bs_config_text(&n, ADVERTISE_TOKEN, out);
	buf_release(&paths);
}

/*
 * Installs the binary from a downloaded tarball the way the installer
 * does: unpacked aside, only bin/tlaloc copied (unpacking at / could
 * replace the /lib -> usr/lib link of a merged-/usr system). Written as
 * the inside of a single-quoted string, which both tools run it from.
 */
static void
add_tar_command(struct buf *out, const char *bin)
{
	struct buf cmd = BUF_INIT;

	buf_addf(&cmd, "d=$(mktemp -d) && tar -xzf /var/tmp/tlaloc.tar.gz "
	    "-C \"$d\" && install -m 0755 \"$(find \"$d\" -path \"*bin/tlaloc\" "
	    "-type f | head -n 1)\" %s; rc=$?; rm -rf \"$d\"; exit $rc", bin);
	add_squoted(out, cmd.data);
	buf_release(&cmd);
}

/*
 * The keyring resource's content: the key between before and after, or,
 * when none was given, instead (the placeholder naming where the site
 * keeps it).
 */
static void
add_keyring(const struct bs_ctx *c, struct buf *out, const char *before,
    const char *after, const char *instead)
{
	if (c->keyring.len == 0) {
		buf_addstr(out, instead);
		return;
	}
	buf_addstr(out, before);
	buf_add(out, c->keyring.data, c->keyring.len);
	buf_addstr(out, after);
}

/*
 * A file resource per trusted operator key, written by file_res (the
 * tool's own), at path_fmt with the key's file name in it.
 */
static void
add_trust_files(const struct bs_ctx *c, struct buf *out, const char *path_fmt,
    void (*file_res)(struct buf *out, const char *path, const char *mode,
    const char *text, const char *extra), const char *extra)
{
	struct buf path = BUF_INIT;

	for (size_t i = 0; i < c->ntrust; i++) {
		buf_reset(&path);
		buf_addf(&path, path_fmt, c->trust[i].name);
		file_res(out, path.data, "0644", c->trust[i].text.data, extra);
	}
	buf_release(&path);
}

/* ".deb", ".rpm" or ".tar.gz": how the downloaded file is installed. */
static const char *
url_ext(const char *url)
{
	size_t n = strlen(url);

	if (n > 4 && strcmp(url + n - 4, ".deb") == 0)
		return ".deb";
	if (n > 4 && strcmp(url + n - 4, ".rpm") == 0)
		return ".rpm";
	return ".tar.gz";
}

/* ---- Puppet ---------------------------------------------------------- */

static void
puppet_install(const struct bs_ctx *c, const char *bin, struct buf *out)
{
	const char *url = c->o->package_url, *ext;

	if (c->o->from == BOOTSTRAP_FROM_PKG) {
		buf_addstr(out, "  package { 'tlaloc':\n    ensure => installed,\n"
		    "    before => Service['tlaloc'],\n  }\n\n");
		return;
	}
	if (c->o->from == BOOTSTRAP_FROM_NONE)
		return;
	ext = url_ext(url);
	buf_addf(out, "  exec { 'tlaloc-download':\n"
	    "    command => 'curl -fsSL -o /var/tmp/tlaloc%s %s',\n"
	    "    path    => ['/usr/bin', '/bin', '/usr/local/bin'],\n"
	    "    creates => '/var/tmp/tlaloc%s',\n  }\n", ext, url, ext);
	if (strcmp(ext, ".tar.gz") != 0) {
		buf_addf(out, "  -> package { 'tlaloc':\n    ensure   => installed,\n"
		    "    provider => '%s',\n    source   => '/var/tmp/tlaloc%s',\n"
		    "    before   => Service['tlaloc'],\n  }\n\n",
		    ext[1] == 'd' ? "dpkg" : "rpm", ext);
		return;
	}
	buf_addstr(out, "  -> exec { 'tlaloc-install':\n    command  => '");
	add_tar_command(out, bin);
	buf_addstr(out, "',\n    provider => shell,\n"
	    "    path     => ['/usr/bin', '/bin', '/usr/local/bin'],\n"
	    "    creates  => $bin,\n    before   => Service['tlaloc'],\n"
	    "  }\n\n");
}

static void
puppet_file(struct buf *out, const char *path, const char *mode,
    const char *text, const char *extra)
{
	buf_addf(out, "  file { %s:\n    ensure  => file,\n    owner   => "
	    "'root',\n    group   => 0,\n    mode    => '%s',\n"
	    "    content => '", path, mode);
	add_squoted(out, text);
	buf_addf(out, "',\n%s  }\n", extra);
}

int
bs_puppet(const struct bs_ctx *c, struct buf *out)
{
	const struct bs_layout *l = bs_layout("systemd");
	struct buf conf = BUF_INIT, svc = BUF_INIT;
	char *tok;

	buf_addf(out, "# tlaloc bootstrap --via puppet: installs the tlaloc "
	    "agent, writes its keys\n# and config, starts it and joins the "
	    "cluster. Apply with\n#   puppet apply tlaloc.pp\n"
	    "# or move the class into a module. The keyring is Sensitive: "
	    "never shown\n# in diffs, logs or reports.\n"
	    "class tlaloc_bootstrap {\n  $etc = '%s'\n  $state = '%s'\n"
	    "  $bin = '%s'\n\n", l->etc, l->state, bs_bin(c, l));
	puppet_install(c, bs_bin(c, l), out);
	buf_addstr(out, "  file { [$etc, \"${etc}/trust\"]:\n"
	    "    ensure => directory,\n    owner  => 'root',\n"
	    "    group  => 0,\n    mode   => '0755',\n  }\n"
	    "  file { $state:\n    ensure => directory,\n    owner  => 'root',\n"
	    "    group  => 0,\n    mode   => '0700',\n  }\n"
	    "  # A key already on the node is kept (rotations change it).\n"
	    "  file { \"${etc}/keyring\":\n    ensure    => file,\n"
	    "    owner     => 'root',\n    group     => 0,\n"
	    "    mode      => '0600',\n    replace   => false,\n"
	    "    show_diff => false,\n");
	add_keyring(c, out, "    content   => Sensitive('", "'),\n  }\n",
	    "    # >>> " BS_PLACEHOLDER " <<<: not embedded; put the cluster "
	    "keyring\n    # in Hiera (eyaml) as tlaloc::keyring.\n"
	    "    content   => Sensitive(lookup('tlaloc::keyring')),\n  }\n");
	add_trust_files(c, out, "\"${etc}/trust/%s\"", puppet_file,
	    "    notify  => Service['tlaloc'],\n");
	config_for(c, &conf);
	/* The address comes from the node's facts, so this one string is
	 * double-quoted; nothing else in it needs escaping (checked). */
	tok = strstr(conf.data, ADVERTISE_TOKEN);
	buf_addstr(out, "  file { \"${etc}/agent.conf\":\n    ensure  => file,\n"
	    "    owner   => 'root',\n    group   => 0,\n    mode    => '0644',\n"
	    "    content => \"");
	for (const char *p = conf.data; *p != '\0'; p++) {
		if (p == tok) {
			buf_addf(out, "${facts['networking']['ip']}:%d",
			    c->port);
			p += strlen(ADVERTISE_TOKEN) - 1;
			continue;
		}
		if (*p == '"' || *p == '\\' || *p == '$')
			buf_addch(out, '\\');
		buf_addch(out, *p);
	}
	buf_addstr(out, "\",\n    notify  => Service['tlaloc'],\n  }\n\n"
	    "  if $facts['service_provider'] == 'systemd' {\n");
	bs_service_text(c, bs_layout("systemd"), &svc);
	puppet_file(out, "'/etc/systemd/system/tlaloc.service'", "0644",
	    svc.data, "    notify  => Service['tlaloc'],\n");
	buf_addstr(out, "  } else {\n");
	buf_reset(&svc);
	bs_service_text(c, bs_layout("sysv"), &svc);
	puppet_file(out, "'/etc/init.d/tlaloc'", "0755", svc.data,
	    "    notify  => Service['tlaloc'],\n");
	buf_addstr(out, "  }\n\n  service { 'tlaloc':\n    ensure    => "
	    "running,\n    enable    => true,\n    subscribe => "
	    "File[\"${etc}/keyring\"],\n  }\n}\n\ninclude tlaloc_bootstrap\n");
	buf_release(&conf);
	buf_release(&svc);
	return 0;
}

/* ---- Chef ------------------------------------------------------------ */

static void
chef_install(const struct bs_ctx *c, const char *bin, struct buf *out)
{
	const char *url = c->o->package_url, *ext;

	if (c->o->from == BOOTSTRAP_FROM_PKG) {
		buf_addstr(out, "package 'tlaloc'\n\n");
		return;
	}
	if (c->o->from == BOOTSTRAP_FROM_NONE)
		return;
	ext = url_ext(url);
	buf_addf(out, "remote_file '/var/tmp/tlaloc%s' do\n  source '%s'\n"
	    "  mode '0644'\nend\n", ext, url);
	if (strcmp(ext, ".tar.gz") == 0) {
		buf_addstr(out, "execute 'tlaloc-install' do\n  command '");
		add_tar_command(out, bin);
		buf_addstr(out, "'\n  creates bin\nend\n\n");
	} else
		buf_addf(out, "%s_package 'tlaloc' do\n  source "
		    "'/var/tmp/tlaloc%s'\nend\n\n", ext[1] == 'd' ? "dpkg" :
		    "rpm", ext);
}

static void
chef_file(struct buf *out, const char *path, const char *mode,
    const char *text, const char *extra)
{
	buf_addf(out, "file %s do\n  owner 'root'\n  group 0\n  mode '%s'\n"
	    "  content <<-'TLALOC_TEXT'\n%sTLALOC_TEXT\n%send\n", path, mode,
	    text, extra);
}

int
bs_chef(const struct bs_ctx *c, struct buf *out)
{
	const struct bs_layout *l = bs_layout("systemd");
	struct buf conf = BUF_INIT, svc = BUF_INIT;

	buf_addf(out, "# tlaloc bootstrap --via chef: a recipe that installs "
	    "the tlaloc agent,\n# writes its keys and config, starts it and "
	    "joins the cluster. The keyring\n# resource is sensitive: never "
	    "shown in diffs or logs.\n"
	    "etc = '%s'\nstate = '%s'\nbin = '%s'\n\n", l->etc, l->state,
	    bs_bin(c, l));
	chef_install(c, bs_bin(c, l), out);
	buf_addstr(out, "[etc, \"#{etc}/trust\"].each do |d|\n  directory d do\n"
	    "    owner 'root'\n    group 0\n    mode '0755'\n  end\nend\n"
	    "directory state do\n  owner 'root'\n  group 0\n  mode '0700'\n"
	    "end\n\n# A key already on the node is kept (rotations change "
	    "it).\nfile \"#{etc}/keyring\" do\n  owner 'root'\n  group 0\n"
	    "  mode '0600'\n  sensitive true\n  action :create_if_missing\n");
	add_keyring(c, out, "  content <<-'TLALOC_KEYRING'\n",
	    "TLALOC_KEYRING\n", "  # >>> " BS_PLACEHOLDER " <<<: not "
	    "embedded; put the cluster keyring\n  # in the encrypted data bag "
	    "item tlaloc/cluster, key 'keyring'.\n"
	    "  content data_bag_item('tlaloc', 'cluster')['keyring']\n");
	buf_addstr(out, "  notifies :restart, 'service[tlaloc]'\nend\n\n");
	add_trust_files(c, out, "\"#{etc}/trust/%s\"", chef_file,
	    "  notifies :restart, 'service[tlaloc]'\n");
	config_for(c, &conf);
	buf_addf(out, "file \"#{etc}/agent.conf\" do\n  owner 'root'\n  group 0\n"
	    "  mode '0644'\n  content(<<-'TLALOC_CONF'.sub('" ADVERTISE_TOKEN
	    "', \"#{node['ipaddress']}:%d\"))\n%sTLALOC_CONF\n"
	    "  notifies :restart, 'service[tlaloc]'\nend\n\n", c->port,
	    conf.data);
	buf_addstr(out, "if ::File.directory?('/run/systemd/system')\n");
	bs_service_text(c, bs_layout("systemd"), &svc);
	chef_file(out, "'/etc/systemd/system/tlaloc.service'", "0644",
	    svc.data, "  notifies :run, 'execute[tlaloc-daemon-reload]', "
	    ":immediately\n");
	buf_addstr(out, "  execute 'tlaloc-daemon-reload' do\n    command "
	    "'systemctl daemon-reload'\n    action :nothing\n  end\nelse\n");
	buf_reset(&svc);
	bs_service_text(c, bs_layout("sysv"), &svc);
	chef_file(out, "'/etc/init.d/tlaloc'", "0755", svc.data, "");
	buf_addstr(out, "end\n\nservice 'tlaloc' do\n  action [:enable, "
	    ":start]\nend\n");
	buf_release(&conf);
	buf_release(&svc);
	return 0;
}
