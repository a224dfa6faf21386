/*
 * other_cases.h: the case functions of other_cases.c (for cases.c).
 */
#ifndef HUSK_OTHER_CASES_H
#define HUSK_OTHER_CASES_H

#include "tests/catalogue/catalogue.h"

enum verdict s_overlapping_fragments(struct devkit *k);
enum verdict s_huge_fragment_offset(struct devkit *k);
enum verdict s_lone_last_fragment(struct devkit *k);
enum verdict s_tcp_urgent_past_data(struct devkit *k);
enum verdict s_short_arp(struct devkit *k);
enum verdict s_short_ncsi(struct devkit *k);
enum verdict s_truncated_dhcp(struct devkit *k);
enum verdict s_truncated_udp(struct devkit *k);
enum verdict s_truncated_udp6(struct devkit *k);
enum verdict s_ftp_port_with_emu_off(struct devkit *k);
enum verdict s_frame_over_mru(struct devkit *k);
enum verdict s_ipv6_extension_chain(struct devkit *k);
enum verdict s_icmp_echo_flood(struct devkit *k);
enum verdict h_bzimage_ok(struct devkit *k);
enum verdict h_truncated_bzimage(struct devkit *k);
enum verdict h_setup_sects_zero(struct devkit *k);
enum verdict h_setup_sects_255(struct devkit *k);
enum verdict h_cmdline_longer_than_allowed(struct devkit *k);
enum verdict h_initrd_larger_than_gap(struct devkit *k);
enum verdict h_alignment_not_power_of_two(struct devkit *k);
enum verdict h_garbage_kernel(struct devkit *k);
enum verdict h_elf_phdr_past_file(struct devkit *k);

#endif
