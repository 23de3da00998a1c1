// SPDX-License-Identifier: GPL-2.0
/*
 * merak-collector: loads Merak's counting programs (merak_collector.bpf.c), attaches them, and
 * answers its node agent over a unix socket. One per emulated node; the agent names the
 * namespaces to count by inode and reads the counters as one JSON line.
 *
 *   merak-collector --pidfile=PATH --socket=PATH [--max-interfaces=N] [--max-namespaces=N]
 *                   [--log=PATH] [--foreground]
 *
 * Without --foreground it detaches once the programs are attached and the socket listens (like
 * OVS's --detach): the starting command returns 0 only when the collector is ready, non-zero with
 * the reason on stderr otherwise. The pid file names the detached process, whose command line
 * carries --pidfile=PATH (that is how Merak tells it from a later process with the same pid).
 * SIGTERM or SIGINT: the programs are detached, the maps freed (nothing is pinned: every object
 * lives only as long as this process's file descriptors), the socket and the pid file removed.
 *
 * Requests, one line each, one reply line (JSON) each, one request per connection:
 *   hello                        {"collector":"merak-collector","protocol":1,"pid":..,"startedAt":..}
 *   watch INUM:ID ...            count these namespaces (ID: the agent's label for it)
 *   unwatch INUM ...             stop counting them and forget their counters
 *   sync INUM:ID ...             exactly these namespaces (unwatch the others)
 *   read                         every counter (see reply_read)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "merak_collector.h"
#include "merak_collector.skel.h"

#define PROTOCOL 1
/* A request line is at most this long: `sync` with 100k namespaces fits. */
#define MAX_REQUEST (4u << 20)
/* A client that neither sends nor reads for this long is dropped (the daemon serves one at a time). */
#define IO_TIMEOUT_S 5

static volatile sig_atomic_t stopping;
static struct merak_collector_bpf *skel;
static long long started_at_ms;

/* Drop reason names from the running kernel's BTF (enum skb_drop_reason). */
static struct reason_name {
	__u32 value;
	char name[64];
} *reasons;
static size_t reason_count;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void load_reason_names(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return;
	__s32 id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);
		__u16 n = btf_vlen(t);
		reasons = calloc(n, sizeof(*reasons));
		for (__u16 i = 0; reasons && i < n; i++) {
			const char *name = btf__name_by_offset(btf, e[i].name_off);
			const char *prefix = "SKB_DROP_REASON_";
			if (strncmp(name, prefix, strlen(prefix)) == 0)
				name += strlen(prefix);
			reasons[reason_count].value = (__u32)e[i].val;
			snprintf(reasons[reason_count].name, sizeof(reasons[reason_count].name), "%s", name);
			reason_count++;
		}
	}
	btf__free(btf);
}

/* The reason's name, or its number when the kernel's BTF does not name it (a subsystem's own reasons). */
static const char *reason_name(__u32 value, char *buf, size_t len)
{
	for (size_t i = 0; i < reason_count; i++)
		if (reasons[i].value == value)
			return reasons[i].name;
	snprintf(buf, len, "REASON_%" PRIu32, value);
	return buf;
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply_hello(FILE *out)
{
	fprintf(out, "{\"collector\":\"merak-collector\",\"protocol\":%d,\"pid\":%d,\"startedAt\":%lld}", PROTOCOL, getpid(), started_at_ms);
}

static void reply_error(FILE *out, const char *what)
{
	fputs("{\"error\":", out);
	json_string(out, what);
	fputc('}', out);
}

/* Deletes the traffic and drop entries of the namespaces for which `doomed` says so. */
static void forget_counters(int (*doomed)(__u32 netns, void *ctx), void *ctx)
{
	int fd = bpf_map__fd(skel->maps.traffic);
	struct mc_if_key k, next, *keys = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (doomed(next.netns, ctx)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				keys = realloc(keys, cap * sizeof(*keys));
				if (!keys)
					return;
			}
			keys[n++] = next;
		}
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);

	fd = bpf_map__fd(skel->maps.drops);
	struct mc_drop_key dk, dnext, *dkeys = NULL;
	n = cap = 0;
	prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &dnext) == 0) {
		if (doomed(dnext.netns, ctx)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				dkeys = realloc(dkeys, cap * sizeof(*dkeys));
				if (!dkeys)
					return;
			}
			dkeys[n++] = dnext;
		}
		dk = dnext;
		prev = &dk;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &dkeys[i]);
	free(dkeys);
}

/* Parses "INUM" or "INUM:ID"; 0 on success. */
static int parse_item(const char *tok, __u32 *inum, __u32 *id, int want_id)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(tok, &end, 10);
	if (errno || end == tok || v == 0 || v > 0xffffffffUL)
		return -1;
	*inum = (__u32)v;
	*id = 0;
	if (!want_id)
		return *end == '\0' ? 0 : -1;
	if (*end != ':')
		return -1;
	const char *s = end + 1;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v > 0xffffffffUL)
		return -1;
	*id = (__u32)v;
	return 0;
}

struct inum_set {
	__u32 *v;
	size_t n;
};

static int in_set(__u32 netns, void *ctx)
{
	struct inum_set *s = ctx;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == netns)
			return 1;
	return 0;
}

static int not_watched(__u32 netns, void *ctx)
{
	(void)ctx;
	__u32 id;
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.watched), &netns, &id) != 0;
}

/* watch / unwatch / sync: `args` is the rest of the request line (modified). */
static void handle_watch(FILE *out, char *args, int mode)
{
	int fd = bpf_map__fd(skel->maps.watched);
	const int want_id = mode != 'u';
	struct inum_set set = { 0 };
	size_t cap = 0;
	for (char *save = NULL, *tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		__u32 inum, id;
		if (parse_item(tok, &inum, &id, want_id)) {
			char msg[160];
			snprintf(msg, sizeof(msg), "bad item %.60s: expected %s", tok, want_id ? "INUM:ID (decimal)" : "INUM (decimal)");
			reply_error(out, msg);
			free(set.v);
			return;
		}
		if (set.n == cap) {
			cap = cap ? cap * 2 : 256;
			__u32 *grown = realloc(set.v, cap * sizeof(__u32));
			if (!grown) {
				reply_error(out, "out of memory");
				free(set.v);
				return;
			}
			set.v = grown;
		}
		set.v[set.n++] = inum;
		if (want_id && bpf_map_update_elem(fd, &inum, &id, BPF_ANY)) {
			char msg[160];
			snprintf(msg, sizeof(msg), "cannot watch namespace %u: %s (more than --max-namespaces?)", inum, strerror(errno));
			reply_error(out, msg);
			free(set.v);
			return;
		}
	}
	if (mode == 'u') {
		for (size_t i = 0; i < set.n; i++)
			bpf_map_delete_elem(fd, &set.v[i]);
		forget_counters(in_set, &set);
	} else if (mode == 's') {
		__u32 key, next, *stale = NULL;
		size_t n = 0, scap = 0;
		void *prev = NULL;
		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			if (!in_set(next, &set)) {
				if (n == scap) {
					scap = scap ? scap * 2 : 64;
					stale = realloc(stale, scap * sizeof(__u32));
					if (!stale)
						break;
				}
				stale[n++] = next;
			}
			key = next;
			prev = &key;
		}
		for (size_t i = 0; stale && i < n; i++)
			bpf_map_delete_elem(fd, &stale[i]);
		free(stale);
		forget_counters(not_watched, NULL);
	}
	free(set.v);
	size_t watched = 0;
	__u32 key, next;
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		watched++;
		key = next;
		prev = &key;
	}
	fprintf(out, "{\"ok\":true,\"watched\":%zu}", watched);
}

static __u64 lost_total(__u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return 0;
	__u64 *per = calloc((size_t)ncpu, sizeof(__u64));
	__u64 sum = 0;
	if (per && bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &slot, per) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += per[i];
	free(per);
	return sum;
}

static void program_stats(FILE *out, const struct bpf_program *prog, int first)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
	fprintf(out, "%s{\"name\":", first ? "" : ",");
	json_string(out, bpf_program__name(prog));
	fprintf(out, ",\"id\":%u,\"runCount\":%llu,\"runTimeNs\":%llu}", info.id, (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
}

/*
 * {"collector":..,"protocol":1,"pid":..,"startedAt":MS,"time":MS,"cpuSeconds":S,
 *  "programs":[{"name","id","runCount","runTimeNs"}],   (run counts need kernel.bpf_stats_enabled=1)
 *  "maps":{"watched":ID,"traffic":ID,"drops":ID},
 *  "lost":{"traffic":N,"drops":N},
 *  "watched":[[INUM,ID],..],
 *  "interfaces":[[INUM,IFINDEX,"NAME",RX_PACKETS,RX_BYTES,TX_PACKETS,TX_BYTES],..],
 *  "drops":[[INUM,IFINDEX,"REASON",COUNT],..]}
 */
static void reply_read(FILE *out)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	fprintf(out, "{\"collector\":\"merak-collector\",\"protocol\":%d,\"pid\":%d,\"startedAt\":%lld,\"time\":%lld,\"cpuSeconds\":%.6f,\"programs\":[", PROTOCOL,
		getpid(), started_at_ms, now_ms(), cpu);
	program_stats(out, skel->progs.mc_xmit, 1);
	program_stats(out, skel->progs.mc_receive, 0);
	program_stats(out, skel->progs.mc_drop, 0);
	struct bpf_map_info mi[3] = { 0 };
	__u32 len = sizeof(mi[0]);
	bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.watched), &mi[0], &len);
	len = sizeof(mi[1]);
	bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.traffic), &mi[1], &len);
	len = sizeof(mi[2]);
	bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.drops), &mi[2], &len);
	fprintf(out, "],\"maps\":{\"watched\":%u,\"traffic\":%u,\"drops\":%u},\"lost\":{\"traffic\":%llu,\"drops\":%llu},\"watched\":[", mi[0].id, mi[1].id, mi[2].id,
		(unsigned long long)lost_total(MC_LOST_TRAFFIC), (unsigned long long)lost_total(MC_LOST_DROPS));

	int fd = bpf_map__fd(skel->maps.watched);
	__u32 wkey, wnext, id;
	void *prev = NULL;
	int first = 1;
	while (bpf_map_get_next_key(fd, prev, &wnext) == 0) {
		if (bpf_map_lookup_elem(fd, &wnext, &id) == 0) {
			fprintf(out, "%s[%u,%u]", first ? "" : ",", wnext, id);
			first = 0;
		}
		wkey = wnext;
		prev = &wkey;
	}

	fputs("],\"interfaces\":[", out);
	fd = bpf_map__fd(skel->maps.traffic);
	struct mc_if_key key, next;
	struct mc_traffic t;
	prev = NULL;
	first = 1;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &t) == 0) {
			t.name[MC_IFNAMSIZ - 1] = '\0';
			fprintf(out, "%s[%u,%u,", first ? "" : ",", next.netns, next.ifindex);
			json_string(out, t.name);
			fprintf(out, ",%llu,%llu,%llu,%llu]", (unsigned long long)t.rx_packets, (unsigned long long)t.rx_bytes, (unsigned long long)t.tx_packets,
				(unsigned long long)t.tx_bytes);
			first = 0;
		}
		key = next;
		prev = &key;
	}

	fputs("],\"drops\":[", out);
	fd = bpf_map__fd(skel->maps.drops);
	struct mc_drop_key dkey, dnext;
	__u64 count;
	char buf[32];
	prev = NULL;
	first = 1;
	while (bpf_map_get_next_key(fd, prev, &dnext) == 0) {
		if (bpf_map_lookup_elem(fd, &dnext, &count) == 0) {
			fprintf(out, "%s[%u,%u,", first ? "" : ",", dnext.netns, dnext.ifindex);
			json_string(out, reason_name(dnext.reason, buf, sizeof(buf)));
			fprintf(out, ",%llu]", (unsigned long long)count);
			first = 0;
		}
		dkey = dnext;
		prev = &dkey;
	}
	fputs("]}", out);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void serve(int client)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	size_t cap = 4096, len = 0;
	char *line = malloc(cap);
	if (!line)
		return;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= MAX_REQUEST) {
				free(line);
				return;
			}
			cap *= 2;
			char *grown = realloc(line, cap);
			if (!grown) {
				free(line);
				return;
			}
			line = grown;
		}
		ssize_t r = read(client, line + len, cap - len - 1);
		if (r < 0 && errno == EINTR && !stopping)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(line + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (!nl) {
		free(line);
		return;
	}
	*nl = '\0';

	char *reply = NULL;
	size_t reply_len = 0;
	FILE *out = open_memstream(&reply, &reply_len);
	if (!out) {
		free(line);
		return;
	}
	char *args = strchr(line, ' ');
	if (args)
		*args++ = '\0';
	else
		args = line + strlen(line);
	if (strcmp(line, "hello") == 0)
		reply_hello(out);
	else if (strcmp(line, "read") == 0)
		reply_read(out);
	else if (strcmp(line, "watch") == 0)
		handle_watch(out, args, 'w');
	else if (strcmp(line, "unwatch") == 0)
		handle_watch(out, args, 'u');
	else if (strcmp(line, "sync") == 0)
		handle_watch(out, args, 's');
	else
		reply_error(out, "unknown request: expected hello, watch, unwatch, sync or read");
	fputc('\n', out);
	fclose(out);
	write_all(client, reply, reply_len);
	free(reply);
	free(line);
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "merak-collector: --socket path is longer than %zu bytes: %s\n", sizeof(addr.sun_path) - 1, path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A socket file left by a collector that was killed: nobody listens on it any more. */
	unlink(path);
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc || listen(fd, 16)) {
		fprintf(stderr, "merak-collector: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int write_pidfile(const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", getpid());
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: merak-collector --pidfile=PATH --socket=PATH [--max-interfaces=N] [--max-namespaces=N] [--log=PATH] [--foreground] | --version\n");
}

static long parse_positive(const char *flag, const char *v, long max)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > max) {
		fprintf(stderr, "merak-collector: %s must be an integer from 1 to %ld, got %s\n", flag, max, v);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *sockpath = NULL, *logpath = NULL;
	long max_interfaces = 16384, max_namespaces = 8192;
	int foreground = 0;
	static const struct option opts[] = {
		{ "pidfile", required_argument, NULL, 'p' },	    { "socket", required_argument, NULL, 's' },
		{ "max-interfaces", required_argument, NULL, 'i' }, { "max-namespaces", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'l' },	    { "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'v' },		    { NULL, 0, NULL, 0 },
	};
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'p': pidfile = optarg; break;
		case 's': sockpath = optarg; break;
		case 'i': max_interfaces = parse_positive("--max-interfaces", optarg, 1 << 22); break;
		case 'n': max_namespaces = parse_positive("--max-namespaces", optarg, 1 << 20); break;
		case 'l': logpath = optarg; break;
		case 'f': foreground = 1; break;
		case 'v': printf("{\"collector\":\"merak-collector\",\"protocol\":%d}\n", PROTOCOL); return 0;
		default: usage(); return 2;
		}
	}
	if (!pidfile || !sockpath || optind != argc) {
		usage();
		return 2;
	}
	libbpf_set_print(quiet_libbpf);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

	skel = merak_collector_bpf__open();
	if (!skel) {
		fprintf(stderr, "merak-collector: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	bpf_map__set_max_entries(skel->maps.watched, (__u32)max_namespaces);
	bpf_map__set_max_entries(skel->maps.traffic, (__u32)max_interfaces);
	/* A few reasons per interface at most in practice; a full map counts as lost, never blocks. */
	bpf_map__set_max_entries(skel->maps.drops, (__u32)max_interfaces);
	int err = merak_collector_bpf__load(skel);
	if (!err)
		err = merak_collector_bpf__attach(skel);
	if (err) {
		fprintf(stderr,
			"merak-collector: cannot load or attach the programs: %s (needs root or CAP_BPF+CAP_PERFMON, BTF at /sys/kernel/btf/vmlinux, tp_btf tracepoints net_dev_xmit, netif_receive_skb, kfree_skb)\n",
			strerror(-err));
		merak_collector_bpf__destroy(skel);
		return 1;
	}
	load_reason_names();
	int lfd = listen_on(sockpath);
	if (lfd < 0) {
		merak_collector_bpf__destroy(skel);
		return 1;
	}

	int ready[2] = { -1, -1 };
	if (!foreground) {
		if (pipe(ready)) {
			fprintf(stderr, "merak-collector: pipe: %s\n", strerror(errno));
			return 1;
		}
		pid_t child = fork();
		if (child < 0) {
			fprintf(stderr, "merak-collector: fork: %s\n", strerror(errno));
			return 1;
		}
		if (child > 0) {
			/* The starter returns only once the detached collector is ready (or failed). */
			close(ready[1]);
			char ok = 0;
			ssize_t r;
			do
				r = read(ready[0], &ok, 1);
			while (r < 0 && errno == EINTR);
			_exit(r == 1 && ok == 'y' ? 0 : 1);
		}
		close(ready[0]);
		setsid();
	}
	started_at_ms = now_ms();
	if (write_pidfile(pidfile)) {
		fprintf(stderr, "merak-collector: cannot write %s: %s\n", pidfile, strerror(errno));
		unlink(sockpath);
		return 1;
	}
	if (!foreground) {
		int null = open("/dev/null", O_RDWR);
		int log = logpath ? open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(log >= 0 ? log : null, 2);
		}
		if (chdir("/")) {
			/* nothing holds the starting directory; a failure here changes nothing */
		}
		char ok = 'y';
		write_all(ready[1], &ok, 1);
		close(ready[1]);
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "merak-collector: pid %d ready on %s\n", getpid(), sockpath);

	while (!stopping) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int n = poll(&p, 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		int client = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (client < 0)
			continue;
		serve(client);
		close(client);
	}
	close(lfd);
	unlink(sockpath);
	unlink(pidfile);
	merak_collector_bpf__destroy(skel);
	free(reasons);
	fprintf(stderr, "merak-collector: pid %d stopped\n", getpid());
	return 0;
}
