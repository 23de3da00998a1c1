// SPDX-License-Identifier: GPL-2.0
/*
 * Merak's per-node traffic and drop counters (BPF side). Three BTF-typed raw tracepoints
 * (tp_btf: no tracefs, no kprobes needed) count, per (network-namespace inode, ifindex):
 *   net_dev_xmit       frames a device sent (rc == NETDEV_TX_OK), with their length;
 *   netif_receive_skb  frames a device received, with their length from the MAC header on;
 *   kfree_skb          packets the kernel dropped, with its drop reason (enum skb_drop_reason).
 * The programs read the kernel's structures directly (BTF-typed pointers, relocated at load by
 * libbpf CO-RE), the cheapest access a tracing program has. Only namespaces in `watched` are counted: tracepoints fire machine-wide, and each collector
 * counts its own node's namespaces, which its agent names by inode.
 *
 * Everything is keyed by what the kernel gives: the namespace's inode (ns.inum, the inode of
 * /run/netns/<name>) and the device's ifindex; the device name is copied from the kernel once,
 * when an interface is first seen, for the agent's labels.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "merak_collector.h"

char LICENSE[] SEC("license") = "GPL";

/* Sizes are set by the loader before load (--max-interfaces); these are placeholders. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* netns inode */
	__type(value, __u32); /* the agent's id for it (0: the node itself, 1 + VM index otherwise) */
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct mc_if_key);
	__type(value, struct mc_traffic);
} traffic SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct mc_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

/* Events lost because a map was full (index MC_LOST_TRAFFIC, MC_LOST_DROPS). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MC_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &slot);
	if (n)
		*n += 1;
}

static __always_inline __u32 netns_of_dev(struct net_device *dev)
{
	return dev->nd_net.net->ns.inum;
}

/* The interface's counters, created (with its name) on first sight; NULL when the map is full. */
static __always_inline struct mc_traffic *traffic_of(struct net_device *dev, __u32 netns)
{
	struct mc_if_key key = { .netns = netns, .ifindex = dev->ifindex };
	struct mc_traffic *t = bpf_map_lookup_elem(&traffic, &key);
	if (t)
		return t;
	struct mc_traffic zero = {};
	bpf_probe_read_kernel_str(zero.name, sizeof(zero.name), dev->name);
	if (bpf_map_update_elem(&traffic, &key, &zero, BPF_NOEXIST) && bpf_map_lookup_elem(&traffic, &key) == NULL) {
		count_lost(MC_LOST_TRAFFIC);
		return NULL;
	}
	return bpf_map_lookup_elem(&traffic, &key);
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(mc_xmit, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int skb_len)
{
	/* After ndo_start_xmit the skb may be gone: only dev and skb_len are read (as the tracepoint intends). */
	if (rc != 0 || !dev)
		return 0;
	__u32 netns = netns_of_dev(dev);
	if (!bpf_map_lookup_elem(&watched, &netns))
		return 0;
	struct mc_traffic *t = traffic_of(dev, netns);
	if (!t)
		return 0;
	__sync_fetch_and_add(&t->tx_packets, 1);
	__sync_fetch_and_add(&t->tx_bytes, skb_len);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(mc_receive, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	if (!dev)
		return 0;
	__u32 netns = netns_of_dev(dev);
	if (!bpf_map_lookup_elem(&watched, &netns))
		return 0;
	struct mc_traffic *t = traffic_of(dev, netns);
	if (!t)
		return 0;
	/* eth_type_trans has pulled the MAC header: count the frame as the sender did, from it on. */
	__u64 len = skb->len;
	__u16 mac = skb->mac_header;
	unsigned char *head = skb->head;
	unsigned char *data = skb->data;
	if (mac != (__u16)~0U && data >= head + mac && data - (head + mac) <= 256)
		len += data - (head + mac);
	__sync_fetch_and_add(&t->rx_packets, 1);
	__sync_fetch_and_add(&t->rx_bytes, len);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(mc_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (reason == SKB_CONSUMED || reason == SKB_NOT_DROPPED_YET)
		return 0;
	struct mc_drop_key key = { .reason = reason };
	struct net_device *dev = skb->dev;
	if (dev) {
		key.netns = netns_of_dev(dev);
		key.ifindex = dev->ifindex;
	} else {
		/* Dropped after it left any device (a socket's queue): its namespace is the socket's. */
		struct sock *sk = skb->sk;
		if (!sk)
			return 0;
		key.netns = sk->__sk_common.skc_net.net->ns.inum;
	}
	if (!bpf_map_lookup_elem(&watched, &key.netns))
		return 0;
	if (dev)
		traffic_of(dev, key.netns); /* so the interface's name is known */
	__u64 *n = bpf_map_lookup_elem(&drops, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	__u64 one = 1;
	if (bpf_map_update_elem(&drops, &key, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&drops, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			count_lost(MC_LOST_DROPS);
	}
	return 0;
}
