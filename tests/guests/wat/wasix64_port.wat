;; wasix_64v1, part 4: the 13 port_* imports (the instance's virtual network port). Same
;; ABI rules as wasix64_basic.wat: every pointer is an i64, and the list calls' count
;; (`$size`, capacity in / needed count out) is a u64 in memory. Every out-value is
;; surrounded by 0xAA sentinels, so a write of the wrong width fails its check; list
;; buffers are pre-filled with 0xAA so entries past the count must stay untouched.
;;
;; Layouts (witx): addr = 110 bytes (u8 tag at 0; payload at 2: inet4 four octets, inet6
;; eight little-endian u16 segments); addr_cidr = 28 bytes (tag at 0, address at 2, u8
;; prefix right after the address: 6 for inet4, 26 for inet6); option_timestamp = 16
;; bytes (u8 tag at 0: 0 none / 1 some; u64 ns at 8); route = 176 bytes (cidr at 0,
;; via_router (addr) at 28, preferred_until at 144, expires_at at 160); hardware_address =
;; 6 bytes.
;;
;; Covered: port_addr_add (inet4 + inet6, over-long prefix, pointer above 4 GiB),
;; port_addr_list (8-byte count, overflow with capacity 1, count-only, capacity with a
;; non-zero high half), port_addr_remove (+ noent), port_addr_clear, port_gateway_set
;; (inet4 + inet6), port_route_add (unset/unset, set/set, set/unset, already expired),
;; port_route_list (fields of every 176-byte entry, overflow, out-of-bounds count pointer),
;; port_route_remove (+ noent), port_route_clear, port_mac (locally administered unicast,
;; exactly 6 bytes, stable, straddling the end of memory), port_dhcp_acquire (then a
;; non-empty address list), port_unbridge (not bridged: success), port_bridge (security 2
;; = encryption only → notsup; security 0 → inval; security wider than u8 → inval; network
;; / token strings out of bounds → memviolation).
;;
;; Needs `--net` (port_bridge validates its security flags before contacting anything, so
;; no server is needed; without `--net` bridging is refused with `acces`). No other
;; arguments, no preopens.
;; Verdict lines and exit status as in wasix64_basic.wat, then `failures=<n>`.
(module
  ;; ---- preview1 helpers ----
  (import "wasix_64v1" "fd_write" (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "proc_exit" (func $proc_exit (param i32)))
  ;; ---- the port ----
  (import "wasix_64v1" "port_bridge" (func $port_bridge (param i64 i64 i64 i64 i32) (result i32)))
  (import "wasix_64v1" "port_unbridge" (func $port_unbridge (result i32)))
  (import "wasix_64v1" "port_dhcp_acquire" (func $port_dhcp_acquire (result i32)))
  (import "wasix_64v1" "port_addr_add" (func $port_addr_add (param i64) (result i32)))
  (import "wasix_64v1" "port_addr_remove" (func $port_addr_remove (param i64) (result i32)))
  (import "wasix_64v1" "port_addr_clear" (func $port_addr_clear (result i32)))
  (import "wasix_64v1" "port_mac" (func $port_mac (param i64) (result i32)))
  (import "wasix_64v1" "port_addr_list" (func $port_addr_list (param i64 i64) (result i32)))
  (import "wasix_64v1" "port_gateway_set" (func $port_gateway_set (param i64) (result i32)))
  (import "wasix_64v1" "port_route_add" (func $port_route_add (param i64 i64 i64 i64) (result i32)))
  (import "wasix_64v1" "port_route_remove" (func $port_route_remove (param i64) (result i32)))
  (import "wasix_64v1" "port_route_clear" (func $port_route_clear (result i32)))
  (import "wasix_64v1" "port_route_list" (func $port_route_list (param i64 i64) (result i32)))
  (memory (export "memory") 1)

  ;; ======== reporting helpers (same in every wasix64_*.wat) ========
  ;; 0x10 one ciovec (16 bytes), 0x20 its nwritten (8), 0x40..0x60 decimal digits.
  (data (i32.const 0x100) ": ok\n\00")
  (data (i32.const 0x110) ": FAIL errno \00")
  (data (i32.const 0x120) ": FAIL check \00")
  (data (i32.const 0x130) " (sentinel)\n\00")
  (data (i32.const 0x140) " (value)\n\00")
  (data (i32.const 0x150) "\n\00")
  (data (i32.const 0x152) "=\00")
  (global $fails (mut i32) (i32.const 0))
  (global $detail (mut i32) (i32.const 0))
  (global $why (mut i32) (i32.const 0))

  (func $write (param $p i32) (param $n i32)
    (i64.store (i32.const 0x10) (i64.extend_i32_u (local.get $p)))
    (i64.store (i32.const 0x18) (i64.extend_i32_u (local.get $n)))
    (drop (call $fd_write (i32.const 1) (i64.const 0x10) (i64.const 1) (i64.const 0x20))))
  (func $strlen (param $p i32) (result i32)
    (local $i i32)
    (local.set $i (local.get $p))
    (block $end
      (loop $l
        (br_if $end (i32.eqz (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.sub (local.get $i) (local.get $p)))
  (func $puts (param $s i32)
    (call $write (local.get $s) (call $strlen (local.get $s))))
  (func $put_u64 (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 0x60))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $l (i64.ne (local.get $v) (i64.const 0))))
    (call $write (local.get $i) (i32.sub (i32.const 0x60) (local.get $i))))
  ;; Fills [a-8, a+n+8) with 0xAA: the out-value plus an 8-byte sentinel on each side.
  (func $guard (param $a i32) (param $n i32)
    (memory.fill (i32.sub (local.get $a) (i32.const 8)) (i32.const 0xAA)
      (i32.add (local.get $n) (i32.const 16))))
  ;; Both sentinels around an n-byte out-value are still 0xAA.
  (func $intact (param $a i32) (param $n i32) (result i32)
    (i32.and
      (i64.eq (i64.load (i32.sub (local.get $a) (i32.const 8))) (i64.const 0xAAAAAAAAAAAAAAAA))
      (i64.eq (i64.load (i32.add (local.get $a) (local.get $n))) (i64.const 0xAAAAAAAAAAAAAAAA))))
  ;; Remembers the first failed check of the current report.
  (func $want (param $c i32) (param $k i32)
    (if (i32.and (i32.eqz (local.get $c)) (i32.eqz (global.get $detail)))
      (then (global.set $detail (local.get $k)) (global.set $why (i32.const 0x140)))))
  (func $want_guard (param $a i32) (param $n i32) (param $k i32)
    (if (i32.and (i32.eqz (call $intact (local.get $a) (local.get $n)))
                 (i32.eqz (global.get $detail)))
      (then (global.set $detail (local.get $k)) (global.set $why (i32.const 0x130)))))
  ;; An 8-byte out-value equal to v, sentinels intact.
  (func $want64 (param $a i32) (param $v i64) (param $k i32)
    (call $want_guard (local.get $a) (i32.const 8) (local.get $k))
    (call $want (i64.eq (i64.load (local.get $a)) (local.get $v)) (local.get $k)))
  ;; Prints the verdict for `name` given the call's errno and the checks since last report.
  (func $report (param $name i32) (param $e i32)
    (call $puts (local.get $name))
    (if (local.get $e)
      (then
        (call $puts (i32.const 0x110))
        (call $put_u64 (i64.extend_i32_u (local.get $e)))
        (call $puts (i32.const 0x150))
        (global.set $fails (i32.add (global.get $fails) (i32.const 1))))
      (else
        (if (global.get $detail)
          (then
            (call $puts (i32.const 0x120))
            (call $put_u64 (i64.extend_i32_u (global.get $detail)))
            (call $puts (global.get $why))
            (global.set $fails (i32.add (global.get $fails) (i32.const 1))))
          (else (call $puts (i32.const 0x100))))))
    (global.set $detail (i32.const 0)))

  ;; ======== extra helpers for this program ========
  ;; n bytes at a equal n bytes at b
  (func $eq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $l
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $no (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                           (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.const 0))
  ;; n bytes at a are all 0xAA (left alone)
  (func $untouched (param $a i32) (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $l
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $no (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.const 0xAA)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.const 0))
  ;; For a call that must fail: ok when it returned `want` (and the checks since the last
  ;; report passed), else `FAIL errno <got>` (or `FAIL check <k>`).
  (func $report_errno (param $name i32) (param $got i32) (param $want i32)
    (if (i32.eq (local.get $got) (local.get $want))
      (then (call $report (local.get $name) (i32.const 0)))
      (else
        (call $puts (local.get $name))
        (call $puts (i32.const 0x110))
        (call $put_u64 (i64.extend_i32_u (local.get $got)))
        (call $puts (i32.const 0x150))
        (global.set $fails (i32.add (global.get $fails) (i32.const 1)))
        (global.set $detail (i32.const 0)))))

  ;; ---- building inputs ----
  ;; inet4 `addr_cidr` at p: ip is the four octets packed little-endian (10.1.2.3 =
  ;; 0x0302010A), prefix at 6; the 21 bytes past the prefix are 0xAA (never read).
  (func $cidr4 (param $p i32) (param $ip i32) (param $prefix i32)
    (memory.fill (local.get $p) (i32.const 0xAA) (i32.const 28))
    (i32.store16 (local.get $p) (i32.const 1))
    (i32.store offset=2 (local.get $p) (local.get $ip))
    (i32.store8 offset=6 (local.get $p) (local.get $prefix)))
  ;; inet6 `addr_cidr` at p: segments 0-3 packed in lo (segment 0 in the low 16 bits),
  ;; 4-7 in hi, as 8 LE u16s at 2; flow info / scope id (18..26) zero; prefix at 26;
  ;; byte 27 is 0xAA (never read).
  (func $cidr6 (param $p i32) (param $lo i64) (param $hi i64) (param $prefix i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 27))
    (i32.store8 offset=27 (local.get $p) (i32.const 0xAA))
    (i32.store16 (local.get $p) (i32.const 2))
    (i64.store offset=2 (local.get $p) (local.get $lo))
    (i64.store offset=10 (local.get $p) (local.get $hi))
    (i32.store8 offset=26 (local.get $p) (local.get $prefix)))
  ;; inet4 / inet6 `addr` (110 bytes) at p, the rest zero.
  (func $addr4 (param $p i32) (param $ip i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 110))
    (i32.store8 (local.get $p) (i32.const 1))
    (i32.store offset=2 (local.get $p) (local.get $ip)))
  (func $addr6 (param $p i32) (param $lo i64) (param $hi i64)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 110))
    (i32.store8 (local.get $p) (i32.const 2))
    (i64.store offset=2 (local.get $p) (local.get $lo))
    (i64.store offset=10 (local.get $p) (local.get $hi)))
  ;; `option_timestamp` at p: tag, then 0xAA padding (ignored), ns at 8 (0xAA.. for none).
  (func $ts (param $p i32) (param $tag i32) (param $ns i64)
    (memory.fill (local.get $p) (i32.const 0xAA) (i32.const 16))
    (i32.store8 (local.get $p) (local.get $tag))
    (if (local.get $tag) (then (i64.store offset=8 (local.get $p) (local.get $ns)))))

  ;; ---- reading results ----
  ;; Meaningful bytes of a cidr / addr input: tag, pad, address (+ prefix for a cidr).
  (func $cidr_len (param $p i32) (result i32)
    (select (i32.const 7) (i32.const 27) (i32.eq (i32.load8_u (local.get $p)) (i32.const 1))))
  (func $addr_len (param $p i32) (result i32)
    (select (i32.const 6) (i32.const 18) (i32.eq (i32.load8_u (local.get $p)) (i32.const 1))))
  ;; Index of the first of n entries (stride bytes apart, from buf) whose first len bytes
  ;; equal those at want, or -1. n is clamped to 8 (the buffers hold 8).
  (func $find (param $buf i32) (param $n i64) (param $stride i32) (param $want i32) (param $len i32)
    (result i32)
    (local $i i32) (local $m i32)
    (local.set $m (select (i32.wrap_i64 (local.get $n)) (i32.const 8)
      (i64.lt_u (local.get $n) (i64.const 8))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (if (call $eq (i32.add (local.get $buf) (i32.mul (local.get $i) (local.get $stride)))
                      (local.get $want) (local.get $len))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.const -1))
  ;; An output option_timestamp at a equals the input at b (tag; ns when some).
  (func $ts_eq (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b)))
      (then (i32.const 0))
      (else
        (if (result i32) (i32.eq (i32.load8_u (local.get $b)) (i32.const 1))
          (then (i64.eq (i64.load offset=8 (local.get $a)) (i64.load offset=8 (local.get $b))))
          (else (i32.eqz (i32.load8_u (local.get $a))))))))
  ;; The route list (at 0x5000, n entries) holds cidr c via v with timestamps pt / et.
  (func $want_route (param $n i64) (param $c i32) (param $v i32) (param $pt i32) (param $et i32)
    (param $k i32)
    (local $i i32) (local $e i32)
    (local.set $i (call $find (i32.const 0x5000) (local.get $n) (i32.const 176) (local.get $c)
      (call $cidr_len (local.get $c))))
    (call $want (i32.ge_s (local.get $i) (i32.const 0)) (local.get $k))
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return)))
    (local.set $e (i32.add (i32.const 0x5000) (i32.mul (local.get $i) (i32.const 176))))
    (call $want (call $eq (i32.add (local.get $e) (i32.const 28)) (local.get $v)
      (call $addr_len (local.get $v))) (i32.add (local.get $k) (i32.const 1)))
    (call $want (call $ts_eq (i32.add (local.get $e) (i32.const 144)) (local.get $pt))
      (i32.add (local.get $k) (i32.const 2)))
    (call $want (call $ts_eq (i32.add (local.get $e) (i32.const 160)) (local.get $et))
      (i32.add (local.get $k) (i32.const 3))))

  ;; ---- the list calls: count slot at 0x3000 (guarded), buffers pre-filled with 0xAA ----
  ;; port_addr_list into 0x4000 (8 × 28 bytes) with capacity cap.
  (func $addr_list (param $cap i64) (result i32)
    (call $guard (i32.const 0x3000) (i32.const 8))
    (i64.store (i32.const 0x3000) (local.get $cap))
    (call $guard (i32.const 0x4000) (i32.const 224))
    (call $port_addr_list (i64.const 0x4000) (i64.const 0x3000)))
  ;; port_route_list into 0x5000 (8 × 176 bytes) with capacity cap.
  (func $route_list (param $cap i64) (result i32)
    (call $guard (i32.const 0x3000) (i32.const 8))
    (i64.store (i32.const 0x3000) (local.get $cap))
    (call $guard (i32.const 0x5000) (i32.const 1408))
    (call $port_route_list (i64.const 0x5000) (i64.const 0x3000)))

  ;; ======== fixed inputs ========
  ;; 0x2000 cidr 10.1.2.3/24   0x2040 cidr fd00:a:b:c::d/64   0x2080 cidr 10.9.9.9/33
  ;; 0x2100 addr 10.1.2.3      0x2180 addr fd00::1 (gateway / via)   0x2200 addr 10.1.2.1
  ;; 0x2280 addr 10.0.0.1      0x2300 addr 10.0.0.2   0x2380 addr 10.0.0.3   0x2400 addr 10.0.0.0
  ;; 0x2480 addr 10.77.77.77 (never added)
  ;; 0x2500 cidr 10.0.0.0/8   0x2540 cidr fd00:1::/32   0x2580 cidr 172.16.0.0/12
  ;; 0x25c0 cidr 192.168.0.0/16
  ;; 0x2600 ts none   0x2620 ts some(P)   0x2640 ts some(E)   0x2660 ts some(1): long past
  ;; 0x7000 "127.0.0.1:9"   0x7010 "token"
  (data (i32.const 0x7000) "127.0.0.1:9")
  (data (i32.const 0x7010) "token")
  (func $inputs
    (call $cidr4 (i32.const 0x2000) (i32.const 0x0302010A) (i32.const 24))
    (call $cidr6 (i32.const 0x2040) (i64.const 0x000c000b000afd00) (i64.const 0x000d000000000000)
      (i32.const 64))
    (call $cidr4 (i32.const 0x2080) (i32.const 0x0909090A) (i32.const 33))
    (call $addr4 (i32.const 0x2100) (i32.const 0x0302010A))
    (call $addr6 (i32.const 0x2180) (i64.const 0xfd00) (i64.const 0x0001000000000000))
    (call $addr4 (i32.const 0x2200) (i32.const 0x0102010A))
    (call $addr4 (i32.const 0x2280) (i32.const 0x0100000A))
    (call $addr4 (i32.const 0x2300) (i32.const 0x0200000A))
    (call $addr4 (i32.const 0x2380) (i32.const 0x0300000A))
    (call $addr4 (i32.const 0x2400) (i32.const 0x0000000A))
    (call $addr4 (i32.const 0x2480) (i32.const 0x4D4D4D0A))
    (call $cidr4 (i32.const 0x2500) (i32.const 0x0000000A) (i32.const 8))
    (call $cidr6 (i32.const 0x2540) (i64.const 0x0001fd00) (i64.const 0) (i32.const 32))
    (call $cidr4 (i32.const 0x2580) (i32.const 0x000010AC) (i32.const 12))
    (call $cidr4 (i32.const 0x25c0) (i32.const 0x0000A8C0) (i32.const 16))
    (call $ts (i32.const 0x2600) (i32.const 0) (i64.const 0))
    ;; P = 4.0e18 ns (2096), E = 4.1e18 ns (2099): far future, fixed values
    (call $ts (i32.const 0x2620) (i32.const 1) (i64.const 4000000000000000000))
    (call $ts (i32.const 0x2640) (i32.const 1) (i64.const 4100000000000000000))
    (call $ts (i32.const 0x2660) (i32.const 1) (i64.const 1)))

  ;; ======== check names (32-byte slots) ========
  (data (i32.const 0x1000) "addr_list.initial\00")
  (data (i32.const 0x1020) "addr_add.v4\00")
  (data (i32.const 0x1040) "addr_add.v6\00")
  (data (i32.const 0x1060) "addr_add.prefix_too_long\00")
  (data (i32.const 0x1080) "addr_list\00")
  (data (i32.const 0x10a0) "addr_list.overflow\00")
  (data (i32.const 0x10c0) "addr_list.count_only\00")
  (data (i32.const 0x10e0) "addr_list.cap_high_half\00")
  (data (i32.const 0x1100) "addr_remove\00")
  (data (i32.const 0x1120) "addr_remove.again\00")
  (data (i32.const 0x1140) "addr_remove.absent\00")
  (data (i32.const 0x1160) "addr_list.after_remove\00")
  (data (i32.const 0x1180) "addr_clear\00")
  (data (i32.const 0x11a0) "addr_list.after_clear\00")
  (data (i32.const 0x11c0) "gateway_set.v4\00")
  (data (i32.const 0x11e0) "gateway_set.v6\00")
  (data (i32.const 0x1200) "route_list.initial\00")
  (data (i32.const 0x1220) "route_add.unset_unset\00")
  (data (i32.const 0x1240) "route_add.set_set\00")
  (data (i32.const 0x1260) "route_add.set_unset\00")
  (data (i32.const 0x1280) "route_add.expired\00")
  (data (i32.const 0x12a0) "route_list\00")
  (data (i32.const 0x12c0) "route_list.overflow\00")
  (data (i32.const 0x12e0) "route_remove\00")
  (data (i32.const 0x1300) "route_remove.again\00")
  (data (i32.const 0x1320) "route_remove.expired\00")
  (data (i32.const 0x1340) "route_list.after_remove\00")
  (data (i32.const 0x1360) "route_clear\00")
  (data (i32.const 0x1380) "route_list.after_clear\00")
  (data (i32.const 0x13a0) "mac\00")
  (data (i32.const 0x13c0) "mac.again\00")
  (data (i32.const 0x13e0) "dhcp_acquire\00")
  (data (i32.const 0x1400) "dhcp.addr_list\00")
  (data (i32.const 0x1420) "unbridge\00")
  (data (i32.const 0x1440) "bridge.security_notsup\00")
  (data (i32.const 0x1460) "bridge.security_zero\00")
  (data (i32.const 0x1480) "bridge.security_wide\00")
  (data (i32.const 0x14a0) "bridge.network_oob\00")
  (data (i32.const 0x14c0) "bridge.token_above_4g\00")
  (data (i32.const 0x14e0) "addr_add.above_4g\00")
  (data (i32.const 0x1500) "mac.straddle\00")
  (data (i32.const 0x1520) "route_list.count_oob\00")
  (data (i32.const 0x1540) "failures=\00")
  (data (i32.const 0x1560) "addr_list.after_above_4g\00")

  ;; ======== addresses ========
  (func $addrs
    (local $e i32)
    ;; an empty table: count 0 (all 8 bytes), nothing written to the buffer
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 0) (i32.const 1))
    (call $want (call $untouched (i32.const 0x3ff8) (i32.const 240)) (i32.const 2))
    (call $report (i32.const 0x1000) (local.get $e))

    (call $report (i32.const 0x1020) (call $port_addr_add (i64.const 0x2000)))
    (call $report (i32.const 0x1040) (call $port_addr_add (i64.const 0x2040)))
    (call $report_errno (i32.const 0x1060) (call $port_addr_add (i64.const 0x2080)) (i32.const 28))

    ;; both entries, in 28-byte slots; the count is the 8-byte u64 2; slots 2-7 untouched
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 2) (i32.const 1))
    (call $want (i32.ge_s (call $find (i32.const 0x4000) (i64.const 2) (i32.const 28)
      (i32.const 0x2000) (i32.const 7)) (i32.const 0)) (i32.const 2))
    (call $want (i32.ge_s (call $find (i32.const 0x4000) (i64.const 2) (i32.const 28)
      (i32.const 0x2040) (i32.const 27)) (i32.const 0)) (i32.const 3))
    (call $want (call $untouched (i32.const 0x4038) (i32.const 168)) (i32.const 4))
    (call $want_guard (i32.const 0x4000) (i32.const 224) (i32.const 5))
    (call $report (i32.const 0x1080) (local.get $e))

    ;; capacity 1: overflow, the needed count written back, the buffer left alone
    (local.set $e (call $addr_list (i64.const 1)))
    (call $want64 (i32.const 0x3000) (i64.const 2) (i32.const 1))
    (call $want (call $untouched (i32.const 0x3ff8) (i32.const 240)) (i32.const 2))
    (call $report_errno (i32.const 0x10a0) (local.get $e) (i32.const 61))

    ;; count only: a null buffer with capacity 0
    (call $guard (i32.const 0x3000) (i32.const 8))
    (i64.store (i32.const 0x3000) (i64.const 0))
    (local.set $e (call $port_addr_list (i64.const 0) (i64.const 0x3000)))
    (call $want64 (i32.const 0x3000) (i64.const 2) (i32.const 1))
    (call $report_errno (i32.const 0x10c0) (local.get $e) (i32.const 61))

    ;; the capacity is read as all 8 bytes: 0x1_0000_0008 entries do not fit in memory
    ;; (a 4-byte read would see 8 and succeed)
    (local.set $e (call $addr_list (i64.const 0x100000008)))
    (call $want (call $untouched (i32.const 0x3ff8) (i32.const 240)) (i32.const 1))
    (call $report_errno (i32.const 0x10e0) (local.get $e) (i32.const 78))

    ;; remove by address (the inet4 one); again / never added: noent
    (call $report (i32.const 0x1100) (call $port_addr_remove (i64.const 0x2100)))
    (call $report_errno (i32.const 0x1120) (call $port_addr_remove (i64.const 0x2100)) (i32.const 44))
    (call $report_errno (i32.const 0x1140) (call $port_addr_remove (i64.const 0x2480)) (i32.const 44))
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 1) (i32.const 1))
    (call $want (call $eq (i32.const 0x4000) (i32.const 0x2040) (i32.const 27)) (i32.const 2))
    (call $want (call $untouched (i32.const 0x401c) (i32.const 196)) (i32.const 3))
    (call $report (i32.const 0x1160) (local.get $e))

    (call $report (i32.const 0x1180) (call $port_addr_clear))
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 0) (i32.const 1))
    (call $want (call $untouched (i32.const 0x3ff8) (i32.const 240)) (i32.const 2))
    (call $report (i32.const 0x11a0) (local.get $e))

    ;; a pointer whose low 32 bits name the valid cidr at 0x2000: must not be truncated
    (call $report_errno (i32.const 0x14e0) (call $port_addr_add (i64.const 0x100002000)) (i32.const 78))
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 0) (i32.const 1))
    (call $report (i32.const 0x1560) (local.get $e)))

  ;; ======== gateway and routes ========
  (func $routes
    (local $e i32)
    (call $report (i32.const 0x11c0) (call $port_gateway_set (i64.const 0x2200)))
    (call $report (i32.const 0x11e0) (call $port_gateway_set (i64.const 0x2180)))

    (local.set $e (call $route_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 0) (i32.const 1))
    (call $want (call $untouched (i32.const 0x4ff8) (i32.const 1424)) (i32.const 2))
    (call $report (i32.const 0x1200) (local.get $e))

    ;; 10.0.0.0/8 via 10.0.0.1, none/none; fd00:1::/32 via fd00::1, some(P)/some(E);
    ;; 172.16.0.0/12 via 10.0.0.2, some(P)/none; 192.168.0.0/16 via 10.0.0.3 expired at 1 ns
    (call $report (i32.const 0x1220)
      (call $port_route_add (i64.const 0x2500) (i64.const 0x2280) (i64.const 0x2600) (i64.const 0x2600)))
    (call $report (i32.const 0x1240)
      (call $port_route_add (i64.const 0x2540) (i64.const 0x2180) (i64.const 0x2620) (i64.const 0x2640)))
    (call $report (i32.const 0x1260)
      (call $port_route_add (i64.const 0x2580) (i64.const 0x2300) (i64.const 0x2620) (i64.const 0x2600)))
    (call $report (i32.const 0x1280)
      (call $port_route_add (i64.const 0x25c0) (i64.const 0x2380) (i64.const 0x2600) (i64.const 0x2660)))

    ;; three live routes (the expired one is gone), every field as added
    (local.set $e (call $route_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 3) (i32.const 1))
    (call $want_route (i64.const 3) (i32.const 0x2500) (i32.const 0x2280) (i32.const 0x2600)
      (i32.const 0x2600) (i32.const 10))
    (call $want_route (i64.const 3) (i32.const 0x2540) (i32.const 0x2180) (i32.const 0x2620)
      (i32.const 0x2640) (i32.const 20))
    (call $want_route (i64.const 3) (i32.const 0x2580) (i32.const 0x2300) (i32.const 0x2620)
      (i32.const 0x2600) (i32.const 30))
    (call $want (i32.lt_s (call $find (i32.const 0x5000) (i64.const 3) (i32.const 176)
      (i32.const 0x25c0) (i32.const 7)) (i32.const 0)) (i32.const 40))
    (call $want (call $untouched (i32.const 0x5210) (i32.const 880)) (i32.const 41))
    (call $want_guard (i32.const 0x5000) (i32.const 1408) (i32.const 42))
    (call $report (i32.const 0x12a0) (local.get $e))

    (local.set $e (call $route_list (i64.const 1)))
    (call $want64 (i32.const 0x3000) (i64.const 3) (i32.const 1))
    (call $want (call $untouched (i32.const 0x4ff8) (i32.const 1424)) (i32.const 2))
    (call $report_errno (i32.const 0x12c0) (local.get $e) (i32.const 61))

    ;; the count pointer straddling the end of memory
    (call $report_errno (i32.const 0x1520)
      (call $port_route_list (i64.const 0x5000) (i64.const 0xfffc)) (i32.const 78))

    ;; remove by network address
    (call $report (i32.const 0x12e0) (call $port_route_remove (i64.const 0x2400)))
    (call $report_errno (i32.const 0x1300) (call $port_route_remove (i64.const 0x2400)) (i32.const 44))
    (call $report_errno (i32.const 0x1320) (call $port_route_remove (i64.const 0x2380)) (i32.const 44))
    (local.set $e (call $route_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 2) (i32.const 1))
    (call $want (i32.lt_s (call $find (i32.const 0x5000) (i64.const 2) (i32.const 176)
      (i32.const 0x2500) (i32.const 7)) (i32.const 0)) (i32.const 2))
    (call $want_route (i64.const 2) (i32.const 0x2540) (i32.const 0x2180) (i32.const 0x2620)
      (i32.const 0x2640) (i32.const 10))
    (call $want_route (i64.const 2) (i32.const 0x2580) (i32.const 0x2300) (i32.const 0x2620)
      (i32.const 0x2600) (i32.const 20))
    (call $want (call $untouched (i32.const 0x5160) (i32.const 1056)) (i32.const 30))
    (call $report (i32.const 0x1340) (local.get $e))

    (call $report (i32.const 0x1360) (call $port_route_clear))
    (local.set $e (call $route_list (i64.const 8)))
    (call $want64 (i32.const 0x3000) (i64.const 0) (i32.const 1))
    (call $want (call $untouched (i32.const 0x4ff8) (i32.const 1424)) (i32.const 2))
    (call $report (i32.const 0x1380) (local.get $e)))

  ;; ======== mac, dhcp, bridging ========
  (func $misc
    (local $e i32)
    ;; exactly 6 bytes at 0x6000: locally administered (bit 1) unicast (bit 0 clear)
    (call $guard (i32.const 0x6000) (i32.const 6))
    (local.set $e (call $port_mac (i64.const 0x6000)))
    (call $want_guard (i32.const 0x6000) (i32.const 6) (i32.const 1))
    (call $want (i32.eq (i32.and (i32.load8_u (i32.const 0x6000)) (i32.const 3)) (i32.const 2))
      (i32.const 2))
    (call $want (i32.eqz (call $untouched (i32.const 0x6000) (i32.const 6))) (i32.const 3))
    (call $report (i32.const 0x13a0) (local.get $e))
    ;; the same address again
    (call $guard (i32.const 0x6020) (i32.const 6))
    (local.set $e (call $port_mac (i64.const 0x6020)))
    (call $want_guard (i32.const 0x6020) (i32.const 6) (i32.const 1))
    (call $want (call $eq (i32.const 0x6000) (i32.const 0x6020) (i32.const 6)) (i32.const 2))
    (call $report (i32.const 0x13c0) (local.get $e))
    ;; 6 bytes from 0xfffd run 3 bytes past the end of memory; nothing written
    (i32.store (i32.const 0xfffc) (i32.const 0xAAAAAAAA))
    (local.set $e (call $port_mac (i64.const 0xfffd)))
    (call $want (i32.eq (i32.load (i32.const 0xfffc)) (i32.const 0xAAAAAAAA)) (i32.const 1))
    (call $report_errno (i32.const 0x1500) (local.get $e) (i32.const 78))

    ;; dhcp: at least one inet4 / inet6 address afterwards
    (call $report (i32.const 0x13e0) (call $port_dhcp_acquire))
    (local.set $e (call $addr_list (i64.const 8)))
    (call $want_guard (i32.const 0x3000) (i32.const 8) (i32.const 1))
    (call $want (i64.ge_u (i64.load (i32.const 0x3000)) (i64.const 1)) (i32.const 2))
    (call $want (i64.le_u (i64.load (i32.const 0x3000)) (i64.const 8)) (i32.const 3))
    (call $want (i32.or (i32.eq (i32.load8_u (i32.const 0x4000)) (i32.const 1))
                        (i32.eq (i32.load8_u (i32.const 0x4000)) (i32.const 2))) (i32.const 4))
    (call $report (i32.const 0x1400) (local.get $e))
    (drop (call $port_addr_clear))

    ;; not bridged: unbridging is a no-op success
    (call $report (i32.const 0x1420) (call $port_unbridge))
    ;; security flags are checked before any connection: 2 (any encryption, no
    ;; unencrypted) is notsup on this unencrypted transport, 0 / wider than u8 are inval
    (call $report_errno (i32.const 0x1440)
      (call $port_bridge (i64.const 0x7000) (i64.const 11) (i64.const 0x7010) (i64.const 5)
        (i32.const 2)) (i32.const 58))
    (call $report_errno (i32.const 0x1460)
      (call $port_bridge (i64.const 0x7000) (i64.const 11) (i64.const 0x7010) (i64.const 5)
        (i32.const 0)) (i32.const 28))
    (call $report_errno (i32.const 0x1480)
      (call $port_bridge (i64.const 0x7000) (i64.const 11) (i64.const 0x7010) (i64.const 5)
        (i32.const 0x101)) (i32.const 28))
    ;; strings out of bounds: memviolation (checked before the security flags)
    (call $report_errno (i32.const 0x14a0)
      (call $port_bridge (i64.const 0xfff8) (i64.const 11) (i64.const 0x7010) (i64.const 5)
        (i32.const 1)) (i32.const 78))
    (call $report_errno (i32.const 0x14c0)
      (call $port_bridge (i64.const 0x7000) (i64.const 11) (i64.const 0x100007010) (i64.const 5)
        (i32.const 1)) (i32.const 78)))

  (func (export "_start")
    (call $inputs)
    (call $addrs)
    (call $routes)
    (call $misc)
    (call $puts (i32.const 0x1540))
    (call $put_u64 (i64.extend_i32_u (global.get $fails)))
    (call $puts (i32.const 0x150))
    (call $proc_exit (global.get $fails))
    unreachable)
)
