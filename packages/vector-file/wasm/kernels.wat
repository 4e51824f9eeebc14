;; Exact-search kernels for @store/vector-file: scores of n float32 vectors against a query,
;; 4 lanes at a time (WebAssembly SIMD f32x4). Compiled by scripts/build-wasm.mjs (wabt) into
;; src/kernels-wasm.ts. The vectors lie where the caller put them in this module's memory:
;; vector i starts at base + i * stride (bytes, a multiple of 4); nothing is copied per query.
;; Scores are "higher is better": the dot product, or minus the squared L2 distance.
(module
  (memory (export "memory") 1)

;; The single-query kernels score a block of vectors and keep only the candidates for the
;; top k: a vector whose score is below `threshold` (the caller's heap minimum, -inf while
;; the heap is not full) is dropped here, so the caller's loop sees a handful of candidates
;; per block instead of every score. For each candidate: its index in the block goes to
;; outIdx (i32) and its score to outScore (f64); the return value is their number. With
;; `inv` non-zero the score is multiplied by the f64 at inv + 8i (1/|v_i|, for cosine), in
;; f64 exactly as a JavaScript `f32 * f64` would. A NaN score is kept (the caller ranks it
;; last), as `!(s < threshold)` is true for NaN.

  ;; score_i = q . v_i
  (func (export "dotSelect") (param $q i32) (param $base i32) (param $n i32) (param $stride i32) (param $dim i32)
    (param $inv i32) (param $threshold f64) (param $outIdx i32) (param $outScore i32) (result i32)
    (local $i i32) (local $v i32) (local $bytes i32) (local $end128 i32) (local $end64 i32) (local $end16 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $d v128)
    (local $s f32) (local $t f32) (local $x f64)
    (local $pq i32) (local $pv i32) (local $e i32) (local $count i32)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end128 (i32.and (local.get $bytes) (i32.const -128)))
    (local.set $end64 (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $end16 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $v (local.get $base))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $pq (local.get $q))
        (local.set $pv (local.get $v))
        ;; 32 floats per step into four independent accumulators (no dependency chain stall);
        ;; moving pointers with immediate offsets keep the address arithmetic out of the loop body
        (local.set $e (i32.add (local.get $v) (local.get $end128)))
        (block $b128 (loop $l128
          (br_if $b128 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $pq)) (v128.load (local.get $pv)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $pq)) (v128.load offset=16 (local.get $pv)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $pq)) (v128.load offset=32 (local.get $pv)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $pq)) (v128.load offset=48 (local.get $pv)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=64 (local.get $pq)) (v128.load offset=64 (local.get $pv)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=80 (local.get $pq)) (v128.load offset=80 (local.get $pv)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=96 (local.get $pq)) (v128.load offset=96 (local.get $pv)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=112 (local.get $pq)) (v128.load offset=112 (local.get $pv)))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 128)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 128)))
          (br $l128)))
        ;; then 16 floats per step
        (local.set $e (i32.add (local.get $v) (local.get $end64)))
        (block $b64 (loop $l64
          (br_if $b64 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $pq)) (v128.load (local.get $pv)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $pq)) (v128.load offset=16 (local.get $pv)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $pq)) (v128.load offset=32 (local.get $pv)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $pq)) (v128.load offset=48 (local.get $pv)))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 64)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
          (br $l64)))
        ;; then 4 floats per step
        (local.set $e (i32.add (local.get $v) (local.get $end16)))
        (block $b16 (loop $l16
          (br_if $b16 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $pq)) (v128.load (local.get $pv)))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 16)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
          (br $l16)))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        ;; then the last dim % 4 floats one by one
        (local.set $e (i32.add (local.get $v) (local.get $bytes)))
        (block $b4 (loop $l4
          (br_if $b4 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $pq)) (f32.load (local.get $pv)))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 4)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 4)))
          (br $l4)))
        (local.set $x (f64.promote_f32 (local.get $s)))
        (if (local.get $inv)
          (then (local.set $x (f64.mul (local.get $x) (f64.load (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3))))))))
        (if (i32.eqz (f64.lt (local.get $x) (local.get $threshold)))
          (then
            (i32.store (i32.add (local.get $outIdx) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))
            (f64.store (i32.add (local.get $outScore) (i32.shl (local.get $count) (i32.const 3))) (local.get $x))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $v (i32.add (local.get $v) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $vectors)))
    (local.get $count))

  ;; score_i = -|q - v_i|^2
  (func (export "l2Select") (param $q i32) (param $base i32) (param $n i32) (param $stride i32) (param $dim i32)
    (param $inv i32) (param $threshold f64) (param $outIdx i32) (param $outScore i32) (result i32)
    (local $i i32) (local $v i32) (local $bytes i32) (local $end128 i32) (local $end64 i32) (local $end16 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $d v128)
    (local $s f32) (local $t f32) (local $x f64)
    (local $pq i32) (local $pv i32) (local $e i32) (local $count i32)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end128 (i32.and (local.get $bytes) (i32.const -128)))
    (local.set $end64 (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $end16 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $v (local.get $base))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $pq (local.get $q))
        (local.set $pv (local.get $v))
        ;; 32 floats per step into four independent accumulators (no dependency chain stall);
        ;; moving pointers with immediate offsets keep the address arithmetic out of the loop body
        (local.set $e (i32.add (local.get $v) (local.get $end128)))
        (block $b128 (loop $l128
          (br_if $b128 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.tee $d (f32x4.sub (v128.load (local.get $pq)) (v128.load (local.get $pv)))) (local.get $d))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=16 (local.get $pq)) (v128.load offset=16 (local.get $pv)))) (local.get $d))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=32 (local.get $pq)) (v128.load offset=32 (local.get $pv)))) (local.get $d))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=48 (local.get $pq)) (v128.load offset=48 (local.get $pv)))) (local.get $d))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=64 (local.get $pq)) (v128.load offset=64 (local.get $pv)))) (local.get $d))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=80 (local.get $pq)) (v128.load offset=80 (local.get $pv)))) (local.get $d))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=96 (local.get $pq)) (v128.load offset=96 (local.get $pv)))) (local.get $d))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=112 (local.get $pq)) (v128.load offset=112 (local.get $pv)))) (local.get $d))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 128)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 128)))
          (br $l128)))
        ;; then 16 floats per step
        (local.set $e (i32.add (local.get $v) (local.get $end64)))
        (block $b64 (loop $l64
          (br_if $b64 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.tee $d (f32x4.sub (v128.load (local.get $pq)) (v128.load (local.get $pv)))) (local.get $d))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=16 (local.get $pq)) (v128.load offset=16 (local.get $pv)))) (local.get $d))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=32 (local.get $pq)) (v128.load offset=32 (local.get $pv)))) (local.get $d))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.tee $d (f32x4.sub (v128.load offset=48 (local.get $pq)) (v128.load offset=48 (local.get $pv)))) (local.get $d))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 64)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
          (br $l64)))
        ;; then 4 floats per step
        (local.set $e (i32.add (local.get $v) (local.get $end16)))
        (block $b16 (loop $l16
          (br_if $b16 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.tee $d (f32x4.sub (v128.load (local.get $pq)) (v128.load (local.get $pv)))) (local.get $d))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 16)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
          (br $l16)))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        ;; then the last dim % 4 floats one by one
        (local.set $e (i32.add (local.get $v) (local.get $bytes)))
        (block $b4 (loop $l4
          (br_if $b4 (i32.ge_u (local.get $pv) (local.get $e)))
          (local.set $s (f32.add (local.get $s) (f32.mul (local.tee $t (f32.sub (f32.load (local.get $pq)) (f32.load (local.get $pv)))) (local.get $t))))
          (local.set $pq (i32.add (local.get $pq) (i32.const 4)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 4)))
          (br $l4)))
        (local.set $x (f64.promote_f32 (f32.neg (local.get $s))))
        (if (local.get $inv)
          (then (local.set $x (f64.mul (local.get $x) (f64.load (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3))))))))
        (if (i32.eqz (f64.lt (local.get $x) (local.get $threshold)))
          (then
            (i32.store (i32.add (local.get $outIdx) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))
            (f64.store (i32.add (local.get $outScore) (i32.shl (local.get $count) (i32.const 3))) (local.get $x))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $v (i32.add (local.get $v) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $vectors)))
    (local.get $count))

  ;; four queries at q + k*qStride (k < 4), dim % 4 == 0: out[i + k*outStride/4] = q_k . v_i
  (func (export "dot4") (param $q i32) (param $qStride i32) (param $base i32) (param $n i32) (param $stride i32) (param $dim i32) (param $out i32) (param $outStride i32)
    (local $i i32) (local $v i32) (local $j i32) (local $bytes i32) (local $o i32) (local $x v128) (local $d v128)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $q0 (local.get $q))
    (local.set $q1 (i32.add (local.get $q0) (local.get $qStride)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $qStride)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $qStride)))
    (local.set $v (local.get $base))
    (local.set $o (local.get $out))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $b16 (loop $l16
          (br_if $b16 (i32.ge_u (local.get $j) (local.get $bytes)))
          (local.set $x (v128.load (i32.add (local.get $v) (local.get $j))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x)
            (v128.load (i32.add (local.get $q0) (local.get $j))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x)
            (v128.load (i32.add (local.get $q1) (local.get $j))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x)
            (v128.load (i32.add (local.get $q2) (local.get $j))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x)
            (v128.load (i32.add (local.get $q3) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $l16)))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 0)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
            (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 1)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a1)) (f32x4.extract_lane 1 (local.get $a1)))
            (f32.add (f32x4.extract_lane 2 (local.get $a1)) (f32x4.extract_lane 3 (local.get $a1)))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a2)) (f32x4.extract_lane 1 (local.get $a2)))
            (f32.add (f32x4.extract_lane 2 (local.get $a2)) (f32x4.extract_lane 3 (local.get $a2)))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 3)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a3)) (f32x4.extract_lane 1 (local.get $a3)))
            (f32.add (f32x4.extract_lane 2 (local.get $a3)) (f32x4.extract_lane 3 (local.get $a3)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $vectors))))

  ;; four queries as dot4: out[i + k*outStride/4] = -|q_k - v_i|^2
  (func (export "l2x4") (param $q i32) (param $qStride i32) (param $base i32) (param $n i32) (param $stride i32) (param $dim i32) (param $out i32) (param $outStride i32)
    (local $i i32) (local $v i32) (local $j i32) (local $bytes i32) (local $o i32) (local $x v128) (local $d v128)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $q0 (local.get $q))
    (local.set $q1 (i32.add (local.get $q0) (local.get $qStride)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $qStride)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $qStride)))
    (local.set $v (local.get $base))
    (local.set $o (local.get $out))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $b16 (loop $l16
          (br_if $b16 (i32.ge_u (local.get $j) (local.get $bytes)))
          (local.set $x (v128.load (i32.add (local.get $v) (local.get $j))))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q0) (local.get $j))) (local.get $x)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q1) (local.get $j))) (local.get $x)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q2) (local.get $j))) (local.get $x)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $q3) (local.get $j))) (local.get $x)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $l16)))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 0)))
          (f32.neg (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
            (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0))))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 1)))
          (f32.neg (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a1)) (f32x4.extract_lane 1 (local.get $a1)))
            (f32.add (f32x4.extract_lane 2 (local.get $a1)) (f32x4.extract_lane 3 (local.get $a1))))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 2)))
          (f32.neg (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a2)) (f32x4.extract_lane 1 (local.get $a2)))
            (f32.add (f32x4.extract_lane 2 (local.get $a2)) (f32x4.extract_lane 3 (local.get $a2))))))
        (f32.store (i32.add (local.get $o) (i32.mul (local.get $outStride) (i32.const 3)))
          (f32.neg (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a3)) (f32x4.extract_lane 1 (local.get $a3)))
            (f32.add (f32x4.extract_lane 2 (local.get $a3)) (f32x4.extract_lane 3 (local.get $a3))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $vectors))))
)
