;; CRC32C (Castagnoli, reflected polynomial 0x82f63b78) for @store/vector-file, in
;; WebAssembly so that a batch of records is checksummed in one call and a record read into
;; this module's memory is verified without a call into native code per record (that call
;; costs more than a ~600-byte record's whole checksum in software). Slicing-by-16 (~17%
;; faster here than slicing-by-8 on 600-byte records): the caller copies @store/backend-core's
;; CRC32C_TABLE (16 × 256 u32, table k at byte 1024·k) to bytes 0..16383 of the memory
;; before any call. Compiled by
;; scripts/build-wasm.mjs (wabt) into src/crc32c-wasm.ts. Results equal backend-core's
;; crc32c (test/checksum-arena.test.ts compares them at every length, offset and seed).
(module
  (memory (export "memory") 1)

  ;; CRC32C of bytes [p, end), continuing from `init` (the CRC of the bytes before them; 0 to start).
  (func $crc (export "crc") (param $p i32) (param $end i32) (param $init i32) (result i32)
    (local $c i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local.set $c (i32.xor (local.get $init) (i32.const -1)))
    ;; 16 bytes per step: the first word is folded into the state, then each of the 16 bytes
    ;; indexes its own table (byte i of the step through table 15 - i)
    (block $done16
      (loop $l16
        (br_if $done16 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $c (i32.xor (local.get $c) (i32.load (local.get $p))))
        (local.set $w1 (i32.load offset=4 (local.get $p)))
        (local.set $w2 (i32.load offset=8 (local.get $p)))
        (local.set $w3 (i32.load offset=12 (local.get $p)))
        (local.set $c
          (i32.xor
          (i32.xor (i32.xor (i32.xor (i32.load offset=15360 (i32.shl (i32.and (local.get $c) (i32.const 255)) (i32.const 2)))
                               (i32.load offset=14336 (i32.and (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 1020))))
                   (i32.xor (i32.load offset=13312 (i32.and (i32.shr_u (local.get $c) (i32.const 14)) (i32.const 1020)))
                            (i32.load offset=12288 (i32.shl (i32.shr_u (local.get $c) (i32.const 24)) (i32.const 2)))))
                   (i32.xor (i32.xor (i32.load offset=11264 (i32.shl (i32.and (local.get $w1) (i32.const 255)) (i32.const 2)))
                               (i32.load offset=10240 (i32.and (i32.shr_u (local.get $w1) (i32.const 6)) (i32.const 1020))))
                   (i32.xor (i32.load offset=9216 (i32.and (i32.shr_u (local.get $w1) (i32.const 14)) (i32.const 1020)))
                            (i32.load offset=8192 (i32.shl (i32.shr_u (local.get $w1) (i32.const 24)) (i32.const 2))))))
          (i32.xor (i32.xor (i32.xor (i32.load offset=7168 (i32.shl (i32.and (local.get $w2) (i32.const 255)) (i32.const 2)))
                               (i32.load offset=6144 (i32.and (i32.shr_u (local.get $w2) (i32.const 6)) (i32.const 1020))))
                   (i32.xor (i32.load offset=5120 (i32.and (i32.shr_u (local.get $w2) (i32.const 14)) (i32.const 1020)))
                            (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $w2) (i32.const 24)) (i32.const 2)))))
                   (i32.xor (i32.xor (i32.load offset=3072 (i32.shl (i32.and (local.get $w3) (i32.const 255)) (i32.const 2)))
                               (i32.load offset=2048 (i32.and (i32.shr_u (local.get $w3) (i32.const 6)) (i32.const 1020))))
                   (i32.xor (i32.load offset=1024 (i32.and (i32.shr_u (local.get $w3) (i32.const 14)) (i32.const 1020)))
                            (i32.load (i32.shl (i32.shr_u (local.get $w3) (i32.const 24)) (i32.const 2))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l16)))
    ;; the last 0..15 bytes one at a time (table 0)
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor (i32.shr_u (local.get $c) (i32.const 8))
                   (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l1)))
    (i32.xor (local.get $c) (i32.const -1)))

  ;; The checksum of the record at p of `size` bytes, as the format defines it: CRC32C of
  ;; header bytes 0..23, then of bytes 28..size (everything but the checksum field itself).
  (func $recordCrc (export "recordCrc") (param $p i32) (param $size i32) (result i32)
    (call $crc (i32.add (local.get $p) (i32.const 28)) (i32.add (local.get $p) (local.get $size))
      (call $crc (local.get $p) (i32.add (local.get $p) (i32.const 24)) (i32.const 0))))

  ;; Seals the records laid back to back in [p, end): stores each one's checksum at its
  ;; offset 24. A record's size is 64 + its data size field (offset 20); the caller wrote
  ;; every record whole, so the walk lands exactly on `end`.
  (func (export "seal") (param $p i32) (param $end i32)
    (local $size i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $size (i32.add (i32.load offset=20 (local.get $p)) (i32.const 64)))
        (i32.store offset=24 (local.get $p) (call $recordCrc (local.get $p) (local.get $size)))
        (local.set $p (i32.add (local.get $p) (local.get $size)))
        (br $next))))
)
