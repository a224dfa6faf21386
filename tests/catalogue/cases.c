/*
 * cases.c: THE catalogue (docs/testing.md).  One row per
 * case: id, device, the verdict husk must reach, the rule broken (and the
 * bug that motivates it), the function that plays it.  Add rows here.
 *
 * Verdicts: PASS = handled like a good request; REJECT = refused (error
 * status, dropped and counted, access ignored, or NEEDS_RESET); a device
 * that answers nothing is WEDGED, which no row may expect.  After every
 * row the device must answer an ordinary request once reset.
 */
#include "tests/catalogue/api_cases.h"
#include "tests/catalogue/catalogue.h"
#include "tests/catalogue/other_cases.h"
#include "tests/catalogue/peer_cases.h"
#include "tests/catalogue/snapshot_cases.h"
#include "tests/catalogue/virtio_cases.h"

#define P V_PASS
#define R V_REJECT
#define RNG DK_RNG
#define BLK DK_BLK
#define NET DK_NET
#define CON DK_CONSOLE
#define NONE DK_N

/* One row a line, however long: the table is read as a table. */
// clang-format off
const struct cat_case cat_cases[] = {
    /* virtio-mmio transport (§4.2.2) */
    { "M01", RNG, R, "8-bit write to Status (32-bit only, §4.2.2.1)", m_narrow_status_write },
    { "M02", RNG, R, "16-bit read of MagicValue", m_narrow_magic_read },
    { "M03", RNG, R, "unaligned 32-bit read (Version + 1)", m_unaligned_read },
    { "M04", RNG, R, "64-bit write to QueueDescLow", m_wide_write },
    { "M05", RNG, R, "reads and writes of undefined offsets 0xc0-0xff", m_undefined_offsets },
    { "M06", BLK, R, "config access past the device's config size", m_past_config },
    { "M07", RNG, R, "reads of write-only QueueNotify, InterruptACK, DriverFeatures", m_read_write_only },
    { "M08", RNG, R, "write to read-only MagicValue", m_write_magic },
    { "M09", RNG, R, "write to read-only DeviceID", m_write_device_id },
    { "M10", RNG, R, "write to read-only QueueNumMax", m_write_queue_num_max },
    { "M11", RNG, R, "write to read-only InterruptStatus", m_write_interrupt_status },
    { "M12", RNG, R, "write to read-only ConfigGeneration", m_write_config_generation },
    { "M13", RNG, R, "QueueSel = 0xffffffff, then every queue register", m_queue_sel_huge },
    { "M14", RNG, R, "QueueNotify = 0xffffffff (CVE-2011-2512)", m_notify_huge },
    { "M15", RNG, R, "QueueNotify = 0x80000000", m_notify_high_bit },
    { "M16", RNG, R, "DeviceFeaturesSel/DriverFeaturesSel past 1", m_features_sel_high },
    { "M17", BLK, R, "QueueNum > QueueNumMax", m_queue_num_too_big },
    { "M18", BLK, R, "QueueNum = 0", m_queue_num_zero },
    { "M19", BLK, R, "QueueNum not a power of two (split ring, §2.7)", m_queue_num_not_pow2 },
    { "M20", BLK, R, "QueueReady = 1 with no ring addresses", m_ready_without_addresses },
    { "M21", BLK, R, "rings reprogrammed after DRIVER_OK (CVE-2026-5747)", m_rings_moved_after_ready },
    { "M22", BLK, R, "Status write clearing bits", m_status_clears_bits },
    { "M23", BLK, R, "driver sets NEEDS_RESET", m_status_sets_needs_reset },
    { "M24", BLK, R, "FEATURES_OK with a feature never offered (§2.2.2)", m_unoffered_feature },
    { "M25", BLK, R, "FEATURES_OK without VERSION_1", m_no_version_1 },
    { "M26", BLK, R, "config writes of odd width and 64-bit (kvmtool e473028)", m_config_odd_width },
    { "M27", RNG, P, "InterruptACK of bits never raised", m_interrupt_ack_unraised },
    { "M28", BLK, R, "kick before DRIVER_OK", m_kick_before_driver_ok },
    { "M29", BLK, R, "kick after reset", m_kick_after_reset },
    /* split virtqueue (§2.7), played on virtio-blk GET_ID/IN requests */
    { "R01", BLK, R, "descriptor chained to itself", r_self_loop },
    { "R02", BLK, R, "two descriptors chained in a cycle", r_two_cycle },
    { "R03", BLK, P, "chain of exactly the queue size (OpenVMM #2986)", r_chain_of_queue_size },
    { "R04", BLK, R, "next = queue size", r_next_out_of_range },
    { "R05", BLK, P, "buffer at guest address 0", r_addr_zero },
    { "R06", BLK, R, "buffer at the last byte of RAM, longer than 1", r_addr_end_of_ram },
    { "R07", BLK, R, "buffer in the MMIO window", r_addr_mmio },
    { "R08", BLK, P, "buffer is the used ring itself", r_addr_ring_itself },
    { "R09", BLK, R, "addr + len wraps 2^64", r_addr_wraps },
    { "R10", BLK, R, "buffer of length 0 (§2.7.5)", r_len_zero },
    { "R11", BLK, R, "buffer of length 0xffffffff", r_len_huge },
    { "R12", BLK, P, "indirect table, well-formed", r_indirect_ok },
    { "R13", BLK, R, "indirect descriptor without INDIRECT_DESC", r_indirect_without_feature },
    { "R14", BLK, R, "indirect table inside an indirect table", r_indirect_nested },
    { "R15", BLK, R, "indirect table of length 0", r_indirect_len_zero },
    { "R16", BLK, R, "indirect table length not a multiple of 16", r_indirect_len_15 },
    { "R17", BLK, R, "indirect table of length 0xfffffff0", r_indirect_len_huge },
    { "R18", BLK, R, "indirect table in the MMIO window", r_indirect_in_mmio },
    { "R19", BLK, R, "INDIRECT and NEXT together", r_indirect_with_next },
    { "R20", BLK, P, "indirect table longer than the queue (bounded: R21)", r_indirect_longer_than_queue },
    { "R21", BLK, R, "chain totalling more than 4 GiB", r_total_over_4g },
    { "R22", BLK, R, "avail.idx jumps by queue size + 1", r_avail_idx_jump },
    { "R23", BLK, R, "avail.idx goes backwards", r_avail_idx_backwards },
    { "R24", BLK, P, "every avail entry names the same head", r_same_head_thrice },
    { "R25", BLK, R, "avail entry >= queue size", r_avail_entry_out_of_range },
    { "R26", BLK, P, "descriptors rewritten and the head reused", r_reused_after_rewrite },
    { "R27", BLK, R, "descriptor table not 16-byte aligned", r_unaligned_desc },
    { "R28", BLK, R, "used ring not 4-byte aligned", r_unaligned_used },
    { "R29", BLK, R, "avail and used rings overlap", r_overlapping_rings },
    { "R30", BLK, P, "used_event = 0xffff (EVENT_IDX wrap)", r_used_event_wrap },
    { "R31", BLK, P, "kick with nothing new", r_kick_nothing_new },
    { "R32", BLK, R, "avail ring not 2-byte aligned", r_unaligned_avail },
    /* virtio-blk (§5.2) */
    { "B01", BLK, R, "request header device-writable", b_head_writable },
    { "B02", BLK, R, "status byte read-only", b_status_read_only },
    { "B03", BLK, R, "status descriptor of length 0", b_status_len_zero },
    { "B04", BLK, R, "header-only chain (CH #8401)", b_head_only },
    { "B05", BLK, R, "header shorter than 16 bytes", b_short_header },
    { "B06", BLK, R, "data length not a multiple of 512", b_len_not_sector_multiple },
    { "B07", BLK, R, "sector 2^64-1", b_sector_max },
    { "B08", BLK, R, "write ending one sector past capacity (OpenVMM #4046)", b_just_past_capacity },
    { "B09", BLK, P, "read of the last sector", b_last_sector },
    { "B10", BLK, R, "unknown request type (UNSUPP)", b_unknown_type },
    { "B11", BLK, P, "FLUSH without data buffer", b_flush_no_data },
    { "B12", BLK, P, "FLUSH with a data buffer (FC 57bac8c)", b_flush_with_data },
    { "B13", BLK, P, "GET_ID with a 19-byte buffer", b_get_id_19 },
    { "B14", BLK, P, "GET_ID with a 20-byte buffer", b_get_id_20 },
    { "B15", BLK, R, "IN with a read-only data buffer", b_in_read_only_data },
    { "B16", BLK, R, "OUT with a write-only data buffer", b_out_write_only_data },
    { "B17", BLK, P, "64 data descriptors in one request", b_64_data_descriptors },
    { "B18", BLK, R, "write to a read-only disk", b_write_read_only_disk },
    { "B19", BLK, R, "host read fails with EIO", b_host_read_error },
    { "B20", BLK, R, "host write fails with ENOSPC", b_host_write_nospace },
    { "B21", BLK, R, "flush after a failed flush (error latched)", b_host_flush_error_latched },
    /* virtio-net (§5.1) */
    { "N01", NET, R, "TX shorter than the vnet header", n_no_header },
    { "N02", NET, R, "TX of a header only", n_header_only },
    { "N03", NET, R, "TX frame over 65550 bytes", n_frame_too_big },
    { "N04", NET, R, "TX frame under 14 bytes", n_frame_too_short },
    { "N05", NET, R, "NEEDS_CSUM with CSUM not negotiated, offsets past the frame", n_bad_csum_offsets },
    { "N06", NET, R, "GSO type without the feature", n_gso_without_feature },
    { "N07", NET, R, "RX buffer read-only", n_rx_read_only },
    { "N08", NET, R, "RX buffer of 1 byte", n_rx_one_byte },
    { "N09", NET, P, "RX buffer well-formed", n_rx_ok },
    { "N10", NET, P, "num_buffers nonzero on TX", n_num_buffers_on_tx },
    { "N11", NET, P, "vnet header split across descriptors", n_header_split },
    { "N12", NET, P, "RX queue empty while the backend has data (CVE-2020-16843)", n_rx_waits_for_buffers },
    { "N13", NET, P, "TX burst filling the whole ring", n_tx_burst_fills_ring },
    /* virtio-console (§5.3) */
    { "C01", CON, R, "TX buffer of length 0", c_zero_length_tx },
    { "C02", CON, P, "TX of 2 MiB in one buffer", c_huge_tx },
    { "C03", CON, P, "TX across three descriptors (CH #7803)", c_multi_descriptor_tx },
    { "C04", CON, R, "RX buffer read-only", c_rx_read_only },
    { "C05", CON, R, "RX buffer of length 0", c_rx_len_zero },
    { "C06", CON, P, "100 MiB of input with one 64-byte buffer (FC test_serial_dos)", c_input_flood_bounded },
    { "C07", CON, P, "output blocked, then resumed (FC test_serial_block)", c_output_blocked_resumes },
    { "C08", CON, P, "reset while output is blocked mid-TX", c_output_blocked_then_reset },
    /* slirp, frames from the guest (libslirp 4.7, emulation off) */
    { "S01", NONE, R, "overlapping IP fragments past 64 KiB (CVE-2019-14378, CVE-2020-1983)", s_overlapping_fragments },
    { "S02", NONE, R, "fragment at the largest offset", s_huge_fragment_offset },
    { "S03", NONE, P, "TCP urgent pointer past the data (CVE-2026-9539)", s_tcp_urgent_past_data },
    { "S04", NONE, R, "ARP frame cut short (CVE-2020-29129)", s_short_arp },
    { "S05", NONE, R, "NCSI frame cut short (CVE-2020-29130)", s_short_ncsi },
    { "S06", NONE, R, "truncated BOOTP/DHCP request (CVE-2021-3592)", s_truncated_dhcp },
    { "S07", NONE, R, "truncated UDP header (CVE-2021-3594)", s_truncated_udp },
    { "S08", NONE, R, "truncated UDPv6 header (CVE-2021-3593)", s_truncated_udp6 },
    { "S09", NONE, P, "FTP PORT command with emulation off (CVE-2019-6778)", s_ftp_port_with_emu_off },
    { "S10", NONE, R, "frame over the MRU", s_frame_over_mru },
    { "S11", NONE, R, "IPv6 chain of 150 extension headers", s_ipv6_extension_chain },
    { "S12", NONE, P, "ICMP echo flood, 5000 requests", s_icmp_echo_flood },
    { "S13", NONE, R, "lone last IPv4 fragment (crashed libslirp 4.7.0: found here)", s_lone_last_fragment },
    /* host inputs: the kernel loader (boot protocol 2.15, PVH) */
    { "H01", NONE, P, "a well-formed bzImage loads", h_bzimage_ok },
    { "H02", NONE, R, "truncated bzImage", h_truncated_bzimage },
    { "H03", NONE, P, "setup_sects = 0 (means 4)", h_setup_sects_zero },
    { "H04", NONE, R, "setup_sects = 255, past the file", h_setup_sects_255 },
    { "H05", NONE, R, "command line longer than cmdline_size", h_cmdline_longer_than_allowed },
    { "H06", NONE, R, "initrd larger than the gap for it", h_initrd_larger_than_gap },
    { "H07", NONE, P, "kernel_alignment not a power of two", h_alignment_not_power_of_two },
    { "H08", NONE, R, "neither bzImage nor ELF", h_garbage_kernel },
    { "H09", NONE, R, "ELF program headers past the end of the file", h_elf_phdr_past_file },
    /* peers: the guest's disk reset on a vCPU under its seccomp filter
     * (the drain once poll()ed there: 159), the host-side reader of the
     * console */
    { "G01", NONE, P, "disk reset with 32 reads in flight, io_uring (vCPU filter)", g_reset_in_flight_uring },
    { "G02", NONE, P, "disk reset with 32 reads in flight, sync engine (vCPU filter)", g_reset_in_flight_sync },
    { "X01", NONE, P, "nobody reads husk's output while the guest prints (held the vCPU)", x_output_unread },
    { "X02", NONE, P, "the reader of husk's output goes away (SIGPIPE killed husk)", x_output_reader_gone },
    /* vhost-user backends (virtio-fs device; vhost-user.rst): the
     * handshake on the setup thread, DRIVER_OK and reset on a vCPU, the
     * socket watch on the I/O thread, each under its seccomp filter */
    { "V01", NONE, P, "a well-behaved backend: handshake, rings started, stopped, started", v_good },
    { "V02", NONE, R, "backend never answers GET_FEATURES", v_silent },
    { "V03", NONE, R, "reply claims a 4 GiB payload", v_huge_reply },
    { "V04", NONE, R, "reply for another request", v_wrong_request },
    { "V05", NONE, R, "reply without the REPLY flag", v_not_a_reply },
    { "V06", NONE, R, "8 descriptors attached to a reply", v_fds_in_reply },
    { "V07", NONE, R, "backend offers no VERSION_1 (legacy only)", v_no_version_1 },
    { "V08", NONE, R, "half a reply, then the connection closes", v_truncated },
    { "V09", NONE, R, "REPLY_ACK refuses SET_MEM_TABLE", v_nack_mem_table },
    { "V10", NONE, R, "connection closes at SET_VRING_KICK (DRIVER_OK on a vCPU)", v_close_on_kick },
    { "V11", NONE, R, "GET_VRING_BASE never answered (a reset on a vCPU)", v_silent_stop },
    { "V12", NONE, R, "GET_VRING_BASE answered for another queue", v_wrong_queue },
    { "V13", NONE, R, "a message nobody asked for (the I/O thread's watch)", v_unasked },
    { "V14", NONE, R, "GET_VRING_BASE never answered while the VM stops", v_silent_vm_stops },
    { "V15", NONE, P, "backend tries to shrink guest RAM (a sealed memfd)", v_shrinks_memory },
    { "V16", NONE, R, "backend signals its call eventfd without end (no work)", v_floods_calls },
    /* snapshot files (vmm/snapshot.h): a running device's state saved,
     * one field damaged, loaded back; the manifest through its parser */
    { "K01", BLK, P, "a device's own saved state loads back", k_state_ok },
    { "K02", BLK, R, "used ring at 4 GiB, outside guest memory", k_ring_outside_memory },
    { "K03", RNG, R, "last_avail ahead of used_idx: requests in flight", k_requests_in_flight },
    { "K04", NET, R, "used_idx the used ring in memory contradicts", k_used_ring_contradicts },
    { "K05", BLK, R, "queue size 65535, above QueueNumMax", k_queue_above_max },
    { "K06", RNG, R, "status bit 0x10, which §2.1 does not define", k_undefined_status_bits },
    { "K07", NET, R, "every feature bit negotiated, few offered", k_features_never_offered },
    { "K08", CON, R, "console state for 3 ports, the device has 1", k_console_port_count },
    { "K09", CON, R, "4096 control messages pending (room for 16)", k_console_ctrl_overflow },
    { "K10", CON, R, "control message for port 7", k_console_ctrl_bad_port },
    { "K11", BLK, R, "flush_failed = 2", k_blk_flag_not_bool },
    { "K12", RNG, R, "queue_sel = 0x1 (decimal only)", k_field_not_a_number },
    { "K13", BLK, R, "a queue's descriptor address missing", k_field_missing },
    { "K14", NONE, P, "a well-formed manifest parses", k_manifest_ok },
    { "K15", NONE, R, "manifest format 2", k_manifest_format_2 },
    { "K16", NONE, R, "written by another husk build", k_manifest_other_build },
    { "K17", NONE, R, "memory regions add up to less than guest memory", k_manifest_regions_short },
    { "K18", NONE, R, "memory region wrapping past 2^64", k_manifest_region_wraps },
    { "K19", NONE, R, "513 options in the configuration", k_manifest_too_many_args },
    { "K20", NONE, R, "state checksum not SHA-256", k_manifest_bad_checksum },
    { "K21", NONE, R, "NUL byte inside the manifest", k_manifest_nul_byte },
    { "K22", NONE, R, "manifest over 1 MiB", k_manifest_too_large },
    { "K23", NONE, R, "an ELF file where the manifest should be", k_manifest_not_keyfile },
    /* the control socket (docs/api.md): one line to the real husk-api
     * under its sandbox, this process playing husk */
    { "A01", NONE, P, "query-status with an id", a_query_status },
    { "A02", NONE, R, "a line cut short: not JSON", a_not_json },
    { "A03", NONE, R, "an array, not an object", a_not_an_object },
    { "A04", NONE, R, "execute is an object, not a name", a_execute_not_a_string },
    { "A05", NONE, R, "a command husk does not have (device_add)", a_unknown_command },
    { "A06", NONE, R, "arguments a string", a_arguments_not_an_object },
    { "A07", NONE, R, "arguments to a command that takes none", a_arguments_not_taken },
    { "A08", NONE, R, "snapshot to a relative path", a_snapshot_relative_path },
    { "A09", NONE, R, "snapshot path of 600 bytes", a_snapshot_path_too_long },
    { "A10", NONE, R, "snapshot where nothing can be created (/proc)", a_snapshot_unwritable },
    { "A11", NONE, R, "a NUL byte inside the line", a_nul_in_line },
    { "A12", NONE, R, "invalid UTF-8 in the command name", a_invalid_utf8 },
    { "A13", NONE, P, "an id nested 32000 arrays deep (as deep as 64 KiB allows): echoed", a_deep_nesting },
    { "A14", NONE, R, "70 KiB without a newline", a_line_over_64k },
};
// clang-format on

const unsigned cat_nr_cases = sizeof(cat_cases) / sizeof(cat_cases[0]);

const char *verdict_name(enum verdict v)
{
    return v == V_PASS ? "PASS" : v == V_REJECT ? "REJECT" : "WEDGED";
}
