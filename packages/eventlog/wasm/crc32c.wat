;; CRC32C (Castagnoli) over records, for @store/eventlog. Build: node scripts/build-wasm.mjs
;; Memory layout: bytes 0..8191 hold 8 slicing-by-8 tables (filled by the host, see
;; src/wasm-crc.ts); data starts at 8192. Loads are little-endian, unaligned access is fine.
(module
  (memory (export "memory") 1)

  ;; CRC32C of [p, p+n), continuing from c (0 for a fresh checksum).
  (func $crc (export "crc") (param $p i32) (param $n i32) (param $c i32) (result i32)
    (local $e i32) (local $a i32) (local $b i32)
    (local.set $c (i32.xor (local.get $c) (i32.const -1)))
    (local.set $e (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -8))))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $a (i32.xor (i32.load align=1 (local.get $p)) (local.get $c)))
        (local.set $b (i32.load offset=4 align=1 (local.get $p)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.load offset=7168 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
            (i32.xor
              (i32.xor
                (i32.load offset=3072 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $l8)))
    (local.set $e (i32.add (local.get $e) (i32.and (local.get $n) (i32.const 7))))
    (block $done
      (loop $l1
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l1)))
    (i32.xor (local.get $c) (i32.const -1)))

  (func $bswap (param $x i32) (result i32)
    (i32.or
      (i32.or
        (i32.shl (local.get $x) (i32.const 24))
        (i32.and (i32.shl (local.get $x) (i32.const 8)) (i32.const 0xff0000)))
      (i32.or
        (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00))
        (i32.shr_u (local.get $x) (i32.const 24)))))

  ;; The checksum of the record at p: CRC32C of its id and size (12 bytes), then its data.
  (func $recordCrc (param $p i32) (param $size i32) (result i32)
    (call $crc
      (i32.add (local.get $p) (i32.const 16))
      (local.get $size)
      (call $crc (local.get $p) (i32.const 12) (i32.const 0))))

  ;; Fills in the checksum field (big-endian, bytes 12..15) of every record in [p, end).
  (func (export "sealRecords") (param $p i32) (param $end i32)
    (local $size i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $size (call $bswap (i32.load offset=8 align=1 (local.get $p))))
        (i32.store offset=12 align=1 (local.get $p) (call $bswap (call $recordCrc (local.get $p) (local.get $size))))
        (local.set $p (i32.add (local.get $p) (i32.add (local.get $size) (i32.const 16))))
        (br $l))))

  ;; Walks records from p while each is complete within end, its id fits 53 bits, its size
  ;; is at most maxSize and its checksum holds. Returns where it stopped.
  (func (export "verifyRecords") (param $p i32) (param $end i32) (param $maxSize i32) (result i32)
    (local $size i32)
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $size (call $bswap (i32.load offset=8 align=1 (local.get $p))))
        (br_if $done (i32.gt_u (local.get $size) (local.get $maxSize)))
        (br_if $done (i32.gt_u (i32.add (i32.add (local.get $p) (i32.const 16)) (local.get $size)) (local.get $end)))
        (br_if $done (i32.gt_u (call $bswap (i32.load align=1 (local.get $p))) (i32.const 0x1fffff)))
        (br_if $done
          (i32.ne
            (call $recordCrc (local.get $p) (local.get $size))
            (call $bswap (i32.load offset=12 align=1 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.add (local.get $size) (i32.const 16))))
        (br $l)))
    (local.get $p))
)
