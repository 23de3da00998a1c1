/* SPDX-License-Identifier: GPL-2.0 */
/* Map layouts shared by the BPF programs and the loader. */
#ifndef MERAK_COLLECTOR_H
#define MERAK_COLLECTOR_H

#define MC_IFNAMSIZ 16

/* One interface: a device (ifindex) in a network namespace (its inode). */
struct mc_if_key {
	__u32 netns;
	__u32 ifindex;
};

struct mc_traffic {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	char name[MC_IFNAMSIZ];
};

/* ifindex 0: the packet was no longer on a device (dropped from a socket's queue). */
struct mc_drop_key {
	__u32 netns;
	__u32 ifindex;
	__u32 reason;
	__u32 pad;
};

enum {
	MC_LOST_TRAFFIC = 0,
	MC_LOST_DROPS = 1,
	MC_LOST_SLOTS = 2,
};

#endif
