//! The port_* imports (`tests/suite/ports.rs`).

/// port_* differences, from `tests/suite/ports.rs`.
/// Checks that fail under wasmer-wasix 0.704.2 with host networking:
/// (case glob, check glob, what wasmer's FAIL line contains ("" = any), why).
/// Globs use `*` for any run of characters. `reference_differences_are_known` keeps the
/// table exact: every failing check is covered by an entry whose text matches, and every
/// entry covers at least one failing check.
pub const PORT_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    // -- tables (port_table, 4 / 6, with and without --net) --
    ("table*", "addr.add*", "got notsup", "port_addr_add goes to the host backend (LocalNetworking), which answers Unsupported; no prefix check happens first"),
    ("table*", "addr.remove*", "got notsup", "port_addr_remove: backend Unsupported, so never noent"),
    ("table*", "addr.clear*", "got notsup", "port_addr_clear: backend Unsupported"),
    ("table*", "addr.list*", "", "port_addr_list: notsup, so counts, contents and overflow are never reported"),
    ("table*", "gateway.set*", "got notsup", "port_gateway_set: backend Unsupported"),
    ("table*", "route.add*", "got notsup", "port_route_add: backend Unsupported; no prefix check happens first"),
    ("table*", "route.remove*", "got notsup", "port_route_remove: backend Unsupported, so never noent"),
    ("table*", "route.clear*", "got notsup", "port_route_clear: backend Unsupported"),
    ("table*", "route.list*", "", "port_route_list: notsup, so counts, timestamps, expiry and overflow are never reported"),
    // -- mac, dhcp, bad input (port_misc, with and without --net) --
    ("misc*", "mac*", "", "port_mac: notsup, even for an out-of-bounds pointer (the backend is asked before memory is checked)"),
    ("misc*", "dhcp.*", "", "port_dhcp_acquire / port_addr_clear / port_addr_list: notsup"),
    ("misc*", "route_add.*_bad_tag", "got notsup", "option_timestamp tags (and, for via, nothing else) are not validated before the backend's notsup"),
    ("misc*", "addr_list.buf_*", "got notsup", "port_addr_list asks the backend before checking the buffer"),
    ("misc*", "refused.*", "", "the list calls used to show the tables are unchanged answer notsup"),
    ("misc*", "setup.*", "got notsup", "port_addr_add / port_route_add: notsup"),
    ("misc*", "cleanup.*", "got notsup", "port_addr_clear / port_route_clear: notsup"),
    // -- routing (port_route 4 / 6) --
    ("route*", "*.route_add", "got notsup", "no route table on host networking"),
    ("route*", "*.route_remove", "got notsup", "no route table on host networking"),
    ("route*", "*.route_clear", "got notsup", "no route table on host networking"),
    ("route*", "gateway.set", "got notsup", "port_gateway_set: notsup"),
    ("route*", "*.connect", "got success", "routes are never consulted: every destination stays reachable"),
    ("route4", "*.send_to", "got success", "routes are never consulted: every datagram is sent"),
    ("route6", "*.send_to", "got errno#2004", "the guest's bind of [::1]:0 fails first (2000 + addrnotavail): wasmer reads ip6 as octets, not LE u16 segments (as in SOCKET_DIFFERENCES udp6)"),
    // -- bridging (port_bridge) --
    ("bridge", "bridge*", "got notsup", "port_bridge on host networking answers Unsupported for any valid call: no served network, no token check"),
    ("bridge", "unbridge*", "got notsup", "port_unbridge: notsup, even when not bridged"),
    ("bridge", "bridged.mac", "got notsup", "port_mac: notsup"),
    ("bridge", "security.none", "got notsup", "stream_security read as an enum 0..3: 0 is `unencrypted` there, so the call goes on to the backend instead of inval"),
    ("bridge", "security.*_encryption*", "got inval", "stream_security read as an enum 0..3: the flags 4 and 8 (and 14) are out of range, inval instead of notsup"),
    ("bridge-nonet", "nonet.bridge", "got notsup", "with networking off wasmer answers notsup, not acces"),
    ("bridge-policy", "policy.*bridge", "got notsup", "port_bridge / port_unbridge: notsup, no served network"),
    ("bridge-policy", "policy.denied.connect", "got success", "not bridged (notsup), so no server's egress policy applies: the connect is made locally and reports success at once"),
    ("bridge-routes", "routes.*bridge", "got notsup", "port_bridge / port_unbridge: notsup, no served network"),
    ("bridge-routes", "routes.add_*", "got notsup", "no route table on host networking, so routes steer nothing"),
    ("bridge-routes", "routes.remove_one", "got notsup", "no route table on host networking"),
    ("bridge-routes", "routes.clear", "got notsup", "no route table on host networking"),
    ("bridge-routes", "routes.bad_prefix", "got notsup", "port_route_add: backend Unsupported; no prefix check happens first"),
];
